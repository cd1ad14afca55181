package dev.conclave.model;

import dev.conclave.attention.AttentionLayer;
import dev.conclave.attention.KvCache;
import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.parallel.Parallel;

/** A pre-norm decoder layer: attention block, then the dense or MoE feed-forward block. */
public record DecoderLayer(int index, AttentionLayer attention, FeedForward ffn) {

    void forward(float[] x, StepLayout layout, KvCache[] caches, FeedForward.Scratch scratch, Parallel parallel) {
        attention.forward(x, layout, caches, parallel);
        ffn.forward(x, layout, scratch, parallel);
    }
}
