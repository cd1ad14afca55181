package dev.conclave.model.serving;

import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sequence;
import java.util.ArrayList;
import java.util.List;

/** The steps of one JVM's {@link InProcessPipeline}: its sequences' caches are plain heap, freed by the GC. */
public final class LocalStepPipeline implements StepPipeline {

    private final InProcessPipeline pipeline;

    public LocalStepPipeline(InProcessPipeline pipeline) {
        this.pipeline = pipeline;
    }

    /** The pipeline itself, for what only an in-process model can do (MTP drafting). */
    public InProcessPipeline pipeline() {
        return pipeline;
    }

    private record Local(Sequence sequence) implements SequenceHandle {
        @Override
        public void release() {
        }
    }

    @Override
    public int vocab() {
        return pipeline.vocab();
    }

    @Override
    public int context() {
        return pipeline.config().maxPositionEmbeddings();
    }

    @Override
    public long kvBytesPerToken() {
        return StepPipeline.kvBytesPerToken(pipeline.config(), pipeline.config().numHiddenLayers() + (pipeline.hasMtp() ? 1 : 0));
    }

    @Override
    public SequenceHandle newSequence() {
        return new Local(pipeline.newSequence());
    }

    @Override
    public float[][] step(List<SequenceHandle> sequences, List<int[]> newTokens) {
        List<Sequence> local = new ArrayList<>(sequences.size());
        for (SequenceHandle s : sequences) {
            local.add(((Local) s).sequence());
        }
        InProcessPipeline.StepOutput out = pipeline.step(local, newTokens, InProcessPipeline.Logits.LAST_PER_SEQUENCE);
        float[][] logits = new float[sequences.size()][];
        for (int s = 0; s < logits.length; s++) {
            logits[s] = out.logitsOf(s, pipeline.vocab());
        }
        return logits;
    }
}
