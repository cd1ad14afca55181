package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;

import java.util.Arrays;

/**
 * The MTP (NextN) layer (model spec §5.2, training spec §4.3): for row i with the main model's final-normed
 * hidden state h_i and the following token t_{i+1},
 * {@code x_i = eh_proj·[enorm(E[t_{i+1}]) ; hnorm(h_i)]} (embedding first), a full MoE decoder layer over
 * the MTP stream at the positions of the main rows, then {@code shared_head.norm}; the shared lm_head
 * turns the result into logits for t_{i+2}. Embedding and head are the main model's (shared, as in
 * DeepSeek-V3), so their gradients add to the main ones.
 */
public final class MtpLayer {

    private final int hidden;
    private final RmsNorm enorm;
    private final RmsNorm hnorm;
    private final Linear ehProj;
    private final DecoderLayer block;
    private final RmsNorm sharedHeadNorm;
    private final Embedding embedding;

    private int[] nextTokens;
    private int n;
    private double[] e = new double[0];
    private double[] en = new double[0];
    private double[] hn = new double[0];
    private double[] u = new double[0];
    private double[] x = new double[0];
    private double[] out = new double[0];
    private double[] du = new double[0];
    private double[] den = new double[0];
    private double[] de = new double[0];
    private double[] dhn = new double[0];
    private double[] dx = new double[0];
    private double[] dOut = new double[0];

    public MtpLayer(ModelConfig c, ParamSet params, String prefix, Embedding embedding, ExpertsFactory experts) {
        this.hidden = c.hiddenSize();
        double eps = c.rmsNormEps();
        this.enorm = new RmsNorm(params.create(prefix + "enorm.weight", Param.Kind.VECTOR, hidden), eps);
        this.hnorm = new RmsNorm(params.create(prefix + "hnorm.weight", Param.Kind.VECTOR, hidden), eps);
        this.ehProj = Linear.create(params, prefix + "eh_proj", hidden, 2 * hidden, false);
        this.block = new DecoderLayer(c, params, prefix, c.mtpLayerIndex(), true, experts);
        this.sharedHeadNorm = new RmsNorm(params.create(prefix + "shared_head.norm.weight", Param.Kind.VECTOR, hidden), eps);
        this.embedding = embedding;
    }

    public DecoderLayer block() { return block; }

    /**
     * {@code g[n×H] = shared_head.norm(MTP(h, nextTokens))}, the input of the head. h and nextTokens must
     * stay unchanged until {@link #backward}; counted marks the rows that have a real next token.
     */
    public void forward(double[] h, int[] nextTokens, Documents docs, boolean[] counted, double[] g, Parallel p) {
        this.n = docs.rows();
        this.nextTokens = nextTokens;
        ensure(n * hidden);
        embedding.forward(nextTokens, n, e);
        enorm.forward(e, n, en);
        hnorm.forward(h, n, hn);
        for (int t = 0; t < n; t++) {
            System.arraycopy(en, t * hidden, u, t * 2 * hidden, hidden);
            System.arraycopy(hn, t * hidden, u, t * 2 * hidden + hidden, hidden);
        }
        ehProj.forward(u, n, x, p);
        block.forward(x, docs, counted, out, p);
        sharedHeadNorm.forward(out, n, g);
    }

    /** From {@code dg = ∂L/∂g}: accumulates the layer's and the embedding's gradients and {@code dh += ∂L/∂h}. */
    public void backward(double[] dg, double auxWeight, double[] dh, Parallel p) {
        int len = n * hidden;
        Arrays.fill(dOut, 0, len, 0);
        sharedHeadNorm.backward(dg, dOut);
        block.backward(dOut, auxWeight, dx, p);
        Arrays.fill(du, 0, 2 * len, 0);
        ehProj.backward(u, dx, n, du, p);
        for (int t = 0; t < n; t++) {
            System.arraycopy(du, t * 2 * hidden, den, t * hidden, hidden);
            System.arraycopy(du, t * 2 * hidden + hidden, dhn, t * hidden, hidden);
        }
        Arrays.fill(de, 0, len, 0);
        enorm.backward(den, de);
        hnorm.backward(dhn, dh);
        embedding.backward(nextTokens, n, de);
    }

    private void ensure(int len) {
        if (e.length < len) {
            e = new double[len];
            en = new double[len];
            hn = new double[len];
            x = new double[len];
            out = new double[len];
            den = new double[len];
            de = new double[len];
            dhn = new double[len];
            dx = new double[len];
            dOut = new double[len];
            u = new double[2 * len];
            du = new double[2 * len];
        }
    }
}
