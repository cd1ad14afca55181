package dev.conclave.model;

import dev.conclave.attention.KvCache;
import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.kernels.LinearBatch;
import dev.conclave.core.kernels.RmsNorm;
import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Matrix;

/**
 * The Multi-Token-Prediction (NextN) layer (spec §5.2), SGLang convention: for a row with main-model
 * final-normed hidden state {@code h_i} and the token {@code t_{i+1}} that follows it,
 * {@code x = eh_proj · [enorm(E[t_{i+1}]), hnorm(h_i)]}, then a full MoE decoder layer at position i
 * with its own KV cache, then {@code shared_head.norm} and the head predict {@code t_{i+2}}.
 */
final class MtpLayer {

    private final float[] enorm;
    private final float[] hnorm;
    private final Matrix ehProj;
    private final DecoderLayer block;
    private final float[] sharedHeadNorm;
    private final Embedding embedding;
    private final LmHead head;
    private final float eps;
    private final int hidden;

    private final Rows joined = new Rows();
    private final LinearBatch batch = new LinearBatch();
    private float[] u = new float[0];
    private float[] e = new float[0];
    private float[] x = new float[0];
    private float[] g = new float[0];

    MtpLayer(float[] enorm, float[] hnorm, Matrix ehProj, DecoderLayer block, float[] sharedHeadNorm,
             Embedding embedding, LmHead head, float eps) {
        this.hidden = enorm.length;
        ehProj.requireShape(hidden, 2 * hidden);
        this.enorm = enorm;
        this.hnorm = hnorm;
        this.ehProj = ehProj;
        this.block = block;
        this.sharedHeadNorm = sharedHeadNorm;
        this.embedding = embedding;
        this.head = head;
        this.eps = eps;
    }

    KvCache newCache() {
        return block.attention().newCache();
    }

    /**
     * Runs the layer over {@code layout}'s rows: row r pairs {@code h[r]} with {@code nextTokens[r]}.
     * Returns the draft logits for rows {@code selected}; {@link #normedOutput()} then holds every
     * row's {@code shared_head.norm} output, the input of a chained draft step.
     */
    float[] forward(float[] h, int[] nextTokens, StepLayout layout, KvCache[] caches, int[] selected,
                    FeedForward.Scratch scratch, Parallel parallel) {
        int rows = layout.rows();
        ensure(rows);
        embedding.lookup(nextTokens, e);
        for (int r = 0; r < rows; r++) {
            RmsNorm.apply(e, r * hidden, enorm, eps, u, r * 2 * hidden, 1);
            RmsNorm.apply(h, r * hidden, hnorm, eps, u, r * 2 * hidden + hidden, 1);
        }
        joined.load(u, rows, 2 * hidden);
        batch.clear().add(ehProj, joined, x, 0, hidden).run(parallel);
        block.forward(x, layout, caches, scratch, parallel);
        RmsNorm.apply(x, 0, sharedHeadNorm, eps, g, 0, rows);
        return head.logits(g, selected, parallel);
    }

    float[] normedOutput() {
        return g;
    }

    private void ensure(int rows) {
        if (e.length < rows * hidden) {
            e = new float[rows * hidden];
            x = new float[rows * hidden];
            g = new float[rows * hidden];
            u = new float[rows * 2 * hidden];
        }
    }
}
