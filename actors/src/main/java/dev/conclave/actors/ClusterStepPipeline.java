package dev.conclave.actors;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.model.serving.StepPipeline;
import java.time.Duration;
import java.util.List;

/**
 * The serving engine's steps run by a cluster: each step is one round trip to the head node's orchestrator,
 * which runs the whole batch through its attention stages (and the experts over the data plane) and answers
 * with the logits of each sequence's last new row. The KV caches live on the attention nodes.
 */
public final class ClusterStepPipeline implements StepPipeline {

    private final ClusterClient client;
    private final ModelConfig config;
    private final Duration timeout;

    /** {@code config} is the served checkpoint's; {@code timeout} bounds one step's round trip. */
    public ClusterStepPipeline(ClusterClient client, ModelConfig config, Duration timeout) {
        this.client = client;
        this.config = config;
        this.timeout = timeout;
    }

    private record Remote(ClusterClient client, long id) implements SequenceHandle {
        @Override
        public void release() {
            client.tell(new Orchestrator.CloseSequence(id));
        }
    }

    @Override
    public int vocab() {
        return config.vocabSize();
    }

    @Override
    public int context() {
        return config.maxPositionEmbeddings();
    }

    /** The cluster's step loop runs the main layers; the MTP layer joins it only with speculative decoding. */
    @Override
    public long kvBytesPerToken() {
        return StepPipeline.kvBytesPerToken(config, config.numHiddenLayers());
    }

    @Override
    public SequenceHandle newSequence() {
        return switch (client.ask(Orchestrator.OpenSequence::new, timeout)) {
            case Orchestrator.SequenceOpened opened -> new Remote(client, opened.sequenceId());
            case Orchestrator.Failed f -> throw new IllegalStateException("the cluster opened no sequence: " + f.reason());
            case Orchestrator.Result other -> throw new IllegalStateException("unexpected answer " + other);
        };
    }

    @Override
    public float[][] step(List<SequenceHandle> sequences, List<int[]> newTokens) {
        int n = sequences.size();
        long[] ids = new long[n];
        int[] counts = new int[n];
        int total = 0;
        for (int s = 0; s < n; s++) {
            ids[s] = ((Remote) sequences.get(s)).id();
            counts[s] = newTokens.get(s).length;
            total += counts[s];
        }
        int[] tokens = new int[total];
        for (int s = 0, at = 0; s < n; at += counts[s], s++) {
            System.arraycopy(newTokens.get(s), 0, tokens, at, counts[s]);
        }
        return switch (client.ask(replyTo -> new Orchestrator.Step(ids, counts, tokens, replyTo), timeout)) {
            case Orchestrator.Logits l -> {
                float[][] rows = new float[n][l.vocab()];
                for (int s = 0; s < n; s++) {
                    System.arraycopy(l.logits(), s * l.vocab(), rows[s], 0, l.vocab());
                }
                yield rows;
            }
            case Orchestrator.Failed f -> throw new IllegalStateException(f.reason());
            case Orchestrator.Result other -> throw new IllegalStateException("unexpected answer " + other);
        };
    }
}
