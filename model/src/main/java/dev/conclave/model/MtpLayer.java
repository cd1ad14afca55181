package dev.conclave.model;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.kernels.LinearBatch;
import dev.conclave.core.kernels.RmsNorm;
import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Matrix;

/**
 * The Multi-Token-Prediction (NextN) layer's own weights around its decoder block (spec §5.2), SGLang
 * convention: for a row with main-model final-normed hidden state {@code h_i} and the token {@code t_{i+1}}
 * that follows it, {@link #input} is {@code x = eh_proj · [enorm(E[t_{i+1}]), hnorm(h_i)]}; a full MoE
 * decoder layer then runs at position i with its own KV cache (in this JVM, or on whichever attention stage
 * a cluster's placement gives layer {@code mtp}); {@link #output} applies {@code shared_head.norm} and the
 * head, which predict {@code t_{i+2}}.
 */
public final class MtpLayer {

    private final float[] enorm;
    private final float[] hnorm;
    private final Matrix ehProj;
    private final float[] sharedHeadNorm;
    private final Embedding embedding;
    private final LmHead head;
    private final float eps;
    private final int hidden;

    private final Rows joined = new Rows();
    private final LinearBatch batch = new LinearBatch();
    private float[] u = new float[0];
    private float[] e = new float[0];
    private float[] g = new float[0];

    MtpLayer(float[] enorm, float[] hnorm, Matrix ehProj, float[] sharedHeadNorm, Embedding embedding, LmHead head,
             float eps) {
        this.hidden = enorm.length;
        ehProj.requireShape(hidden, 2 * hidden);
        this.enorm = enorm;
        this.hnorm = hnorm;
        this.ehProj = ehProj;
        this.sharedHeadNorm = sharedHeadNorm;
        this.embedding = embedding;
        this.head = head;
        this.eps = eps;
    }

    /**
     * The MTP layer's weights outside its decoder block. GLM-4.6 checkpoints drop the MTP copies of the
     * embedding and head: the main model's {@code embedding} and {@code output} head are shared then.
     */
    public static MtpLayer load(Checkpoint checkpoint, Embedding embedding, OutputHead output) {
        StageFactory f = new StageFactory(checkpoint);
        var c = f.config();
        String p = StageFactory.layer(c.mtpLayerIndex());
        Embedding mtpEmbed = checkpoint.find(p + "embed_tokens.weight").map(t -> new Embedding(Matrix.of(t))).orElse(embedding);
        LmHead mtpHead = checkpoint.find(p + "shared_head.head.weight").map(t -> new LmHead(Matrix.of(t)))
                .orElse(output.lmHead());
        return new MtpLayer(f.vector(p + "enorm.weight"), f.vector(p + "hnorm.weight"), f.matrix(p + "eh_proj.weight"),
                f.vector(p + "shared_head.norm.weight"), mtpEmbed, mtpHead, (float) c.rmsNormEps());
    }

    public int vocab() {
        return head.vocab();
    }

    /** Rows [rows, hidden] of {@code x} get the block's input for row r = ({@code h[r]}, {@code nextTokens[r]}). */
    public void input(float[] h, int[] nextTokens, int rows, float[] x, Parallel parallel) {
        ensure(rows);
        embedding.lookup(nextTokens, e);
        for (int r = 0; r < rows; r++) {
            RmsNorm.apply(e, r * hidden, enorm, eps, u, r * 2 * hidden, 1);
            RmsNorm.apply(h, r * hidden, hnorm, eps, u, r * 2 * hidden + hidden, 1);
        }
        joined.load(u, rows, 2 * hidden);
        batch.clear().add(ehProj, joined, x, 0, hidden).run(parallel);
    }

    /**
     * The draft logits of rows {@code selected} of the block's output {@code x}; {@link #normedRows} then
     * gives rows of the {@code shared_head.norm} output, the input of a chained draft step.
     */
    public float[] output(float[] x, int rows, int[] selected, Parallel parallel) {
        ensure(rows);
        RmsNorm.apply(x, 0, sharedHeadNorm, eps, g, 0, rows);
        return head.logits(g, selected, parallel);
    }

    /** Rows {@code selected} of the last {@link #output}'s {@code shared_head.norm} output, [selected.length, hidden]. */
    public float[] normedRows(int[] selected) {
        float[] rows = new float[selected.length * hidden];
        for (int i = 0; i < selected.length; i++) {
            System.arraycopy(g, selected[i] * hidden, rows, i * hidden, hidden);
        }
        return rows;
    }

    private void ensure(int rows) {
        if (e.length < rows * hidden) {
            e = new float[rows * hidden];
            g = new float[rows * hidden];
            u = new float[rows * 2 * hidden];
        }
    }
}
