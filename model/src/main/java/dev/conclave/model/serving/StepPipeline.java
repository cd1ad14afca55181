package dev.conclave.model.serving;

import dev.conclave.core.config.ModelConfig;
import java.util.List;

/**
 * What continuous batching runs its steps over: the model, wherever its stages live (one JVM's
 * {@link dev.conclave.model.InProcessPipeline} through {@link LocalStepPipeline}, or a cluster's actors). A step
 * appends each sequence's new tokens to its KV caches and returns the logits of each one's last new position.
 */
public interface StepPipeline {

    int vocab();

    /** Positions one sequence may reach: the model's {@code max_position_embeddings}. */
    int context();

    /** KV-cache bytes one position of one sequence takes over every cached layer (the MTP layer's included). */
    long kvBytesPerToken();

    SequenceHandle newSequence();

    /**
     * One forward step of a batch: sequence {@code s} gets {@code newTokens.get(s)}; the answer's row {@code s}
     * holds the vocabulary logits after its last new token. A failure leaves the batch's caches undefined.
     */
    float[][] step(List<SequenceHandle> sequences, List<int[]> newTokens);

    /** A float32 key and value row per KV head of each of {@code cachedLayers} layers, for one position. */
    static long kvBytesPerToken(ModelConfig c, int cachedLayers) {
        return 2L * cachedLayers * c.kvWidth() * Float.BYTES;
    }

    /** One sequence's state in the pipeline; released once its request ends, so its KV caches can be freed. */
    interface SequenceHandle {
        void release();
    }
}
