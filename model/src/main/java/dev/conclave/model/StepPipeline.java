package dev.conclave.model;

import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.config.ModelConfig;
import java.util.List;

/**
 * What {@link DecodeStep} runs its steps over: the model's stages wherever they live, in this JVM
 * ({@link InProcessPipeline}) or on a cluster (the actors' {@code ClusterStepPipeline}). The KV caches of a
 * sequence, its main layers' and the MTP layer's, live with the stages; the caller holds a handle.
 */
public interface StepPipeline {

    ModelConfig config();

    int vocab();

    /** Whether the MTP layer is there to draft with. */
    boolean hasMtp();

    /** KV-cache bytes one position of one sequence takes over every cached layer (the MTP layer's included). */
    default long kvBytesPerToken() {
        return kvBytesPerToken(config(), config().numHiddenLayers() + (hasMtp() ? 1 : 0));
    }

    SequenceHandle newSequence();

    /**
     * One forward step: sequence {@code s} appends {@code newTokens.get(s)} to its main caches, and the last
     * {@code logitRows[s]} of its new rows get vocabulary logits, in row order. With {@code hidden} the answer
     * holds every row's final-normed hidden state (the MTP layer's input); a remote pipeline leaves it out
     * otherwise. A failure leaves the batch's caches undefined.
     */
    StepOutput step(List<? extends SequenceHandle> sequences, List<int[]> newTokens, int[] logitRows, boolean hidden);

    /**
     * The MTP layer over {@code counts[s]} rows of sequence s, appending them to its MTP cache: row r pairs
     * {@code h[r]} (a main final-normed hidden state, or the MTP layer's own normed output for a chained
     * draft) with {@code nextTokens[r]}. Answers the draft logits and the {@code shared_head.norm} outputs
     * of rows {@code selected}.
     */
    MtpOutput mtp(List<? extends SequenceHandle> sequences, int[] counts, float[] h, int[] nextTokens, int[] selected);

    /** Rolls the sequence's main caches back to {@code length} positions and its MTP cache to {@code mtpLength}. */
    void truncate(SequenceHandle sequence, int length, int mtpLength);

    /** A float32 key and value row per KV head of each of {@code cachedLayers} layers, for one position. */
    static long kvBytesPerToken(ModelConfig c, int cachedLayers) {
        return 2L * cachedLayers * c.kvWidth() * Float.BYTES;
    }

    /**
     * A step's results: {@code hidden} are the final-normed hidden states of every row ([rows, hidden]; empty
     * when not asked for), {@code logits} the vocabulary logits of rows {@code logitRows} ([logitRows.length, vocab]).
     */
    record StepOutput(StepLayout layout, float[] hidden, int[] logitRows, float[] logits) {
        public float[] logitsOf(int i, int vocab) {
            float[] row = new float[vocab];
            System.arraycopy(logits, i * vocab, row, 0, vocab);
            return row;
        }
    }

    /** Draft logits [selected, vocab] and the normed MTP outputs [selected, hidden] that chained drafts start from. */
    record MtpOutput(float[] logits, float[] normed) {
    }

    /** One sequence's state in the pipeline; released once its request ends, so its KV caches can be freed. */
    interface SequenceHandle {
        void release();
    }
}
