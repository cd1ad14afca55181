package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;

import java.util.Arrays;

/**
 * One attention block (model spec §3, training spec §5.4–5.5) on already-normalised input a:
 * q/k/v projections (+bias) → per-head QK-norm → partial RoPE → block-diagonal causal GQA softmax
 * attention → o_proj. The forward keeps the projections, the attention output and each row's log-sum-exp;
 * the backward recomputes the probabilities from them (FlashAttention form) instead of storing T×T.
 */
public final class Attention {

    private final int hq;
    private final int hkv;
    private final int d;
    private final int group;
    private final double scale;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear oProj;
    private final RmsNorm qNorm;
    private final RmsNorm kNorm;
    private final Rope rope;

    private Documents docs;
    private double[] a;
    private double[] qPre = new double[0];
    private double[] kPre = new double[0];
    private double[] q = new double[0];
    private double[] k = new double[0];
    private double[] v = new double[0];
    private double[] ctx = new double[0];
    private double[] lse = new double[0];
    private double[] dctx = new double[0];
    private double[] dq = new double[0];
    private double[] dk = new double[0];
    private double[] dv = new double[0];
    private double[] dqPre = new double[0];
    private double[] dkPre = new double[0];

    public Attention(ModelConfig c, ParamSet params, String prefix) {
        this.hq = c.numAttentionHeads();
        this.hkv = c.numKeyValueHeads();
        this.d = c.headDim();
        this.group = c.gqaGroupSize();
        this.scale = 1.0 / Math.sqrt(d);
        int hidden = c.hiddenSize();
        boolean bias = c.attentionBias();
        this.qProj = Linear.create(params, prefix + "q_proj", c.qWidth(), hidden, bias);
        this.kProj = Linear.create(params, prefix + "k_proj", c.kvWidth(), hidden, bias);
        this.vProj = Linear.create(params, prefix + "v_proj", c.kvWidth(), hidden, bias);
        this.oProj = Linear.create(params, prefix + "o_proj", hidden, c.qWidth(), false);
        if (c.useQkNorm()) {
            qNorm = new RmsNorm(params.create(prefix + "q_norm.weight", Param.Kind.VECTOR, d), c.rmsNormEps());
            kNorm = new RmsNorm(params.create(prefix + "k_norm.weight", Param.Kind.VECTOR, d), c.rmsNormEps());
        } else {
            qNorm = null;
            kNorm = null;
        }
        this.rope = new Rope(d, c.rotaryDim(), c.ropeTheta());
    }

    /** {@code y[n×H] = Attention(a)}; a must stay unchanged until {@link #backward}. */
    public void forward(double[] a, Documents docs, double[] y, Parallel p) {
        int n = docs.rows();
        ensure(n);
        this.a = a;
        this.docs = docs;
        qProj.forward(a, n, qPre, p);
        kProj.forward(a, n, kPre, p);
        vProj.forward(a, n, v, p);
        normalise(qNorm, qPre, q, n * hq, n * hq * d);
        normalise(kNorm, kPre, k, n * hkv, n * hkv * d);
        rope.forward(q, hq, docs);
        rope.forward(k, hkv, docs);
        p.forRange(hq * n, this::attendRange);
        oProj.forward(ctx, n, y, p);
    }

    private static void normalise(RmsNorm norm, double[] in, double[] out, int rows, int len) {
        if (norm != null) {
            norm.forward(in, rows, out);
        } else {
            System.arraycopy(in, 0, out, 0, len);
        }
    }

    /** Query rows in head-major units u = h·n + t; online softmax straight into the output row. */
    private void attendRange(int from, int to) {
        int n = docs.rows();
        int qw = hq * d;
        int kw = hkv * d;
        for (int u = from; u < to; u++) {
            int h = u / n;
            int t = u % n;
            int g = h / group;
            int qo = t * qw + h * d;
            int oo = qo;
            Arrays.fill(ctx, oo, oo + d, 0);
            double m = Double.NEGATIVE_INFINITY;
            double l = 0;
            for (int j = docs.first(t); j <= t; j++) {
                double s = scale * Gemm.dot(q, qo, k, j * kw + g * d, d);
                if (s > m) {
                    double shrink = Math.exp(m - s);
                    l *= shrink;
                    for (int i = 0; i < d; i++) {
                        ctx[oo + i] *= shrink;
                    }
                    m = s;
                }
                double e = Math.exp(s - m);
                l += e;
                Gemm.axpy(e, v, j * kw + g * d, ctx, oo, d);
            }
            double inv = 1.0 / l;
            for (int i = 0; i < d; i++) {
                ctx[oo + i] *= inv;
            }
            lse[h * n + t] = m + Math.log(l);
        }
    }

    /** Accumulates every parameter gradient and {@code da += ∂L/∂a} for {@code dy = ∂L/∂y}. */
    public void backward(double[] dy, double[] da, Parallel p) {
        int n = docs.rows();
        zero(dctx, n * hq * d);
        zero(dq, n * hq * d);
        zero(dk, n * hkv * d);
        zero(dv, n * hkv * d);
        oProj.backward(ctx, dy, n, dctx, p);
        p.forRange(hkv * docs.count(), this::attendBackwardRange);
        rope.backward(dq, hq, docs);
        rope.backward(dk, hkv, docs);
        double[] gq = denormalise(qNorm, dq, dqPre, n * hq * d);
        double[] gk = denormalise(kNorm, dk, dkPre, n * hkv * d);
        qProj.backward(a, gq, n, da, p);
        kProj.backward(a, gk, n, da, p);
        vProj.backward(a, dv, n, da, p);
    }

    private static double[] denormalise(RmsNorm norm, double[] dOut, double[] dIn, int len) {
        if (norm == null) {
            return dOut;
        }
        zero(dIn, len);
        norm.backward(dOut, dIn);
        return dIn;
    }

    /** Units (KV head g, document): their dK and dV rows are written by no other unit. */
    private void attendBackwardRange(int from, int to) {
        int n = docs.rows();
        int qw = hq * d;
        int kw = hkv * d;
        for (int u = from; u < to; u++) {
            int g = u % hkv;
            int doc = u / hkv;
            for (int h = g * group; h < (g + 1) * group; h++) {
                for (int t = docs.start(doc); t < docs.end(doc); t++) {
                    int qo = t * qw + h * d;
                    double delta = Gemm.dot(dctx, qo, ctx, qo, d);
                    double lseRow = lse[h * n + t];
                    for (int j = docs.first(t); j <= t; j++) {
                        int ko = j * kw + g * d;
                        double pr = Math.exp(scale * Gemm.dot(q, qo, k, ko, d) - lseRow);
                        double ds = pr * (Gemm.dot(dctx, qo, v, ko, d) - delta);
                        Gemm.axpy(scale * ds, k, ko, dq, qo, d);
                        Gemm.axpy(scale * ds, q, qo, dk, ko, d);
                        Gemm.axpy(pr, dctx, qo, dv, ko, d);
                    }
                }
            }
        }
    }

    private static void zero(double[] a, int len) {
        Arrays.fill(a, 0, len, 0);
    }

    private void ensure(int n) {
        if (q.length >= n * hq * d) {
            return;
        }
        int qs = n * hq * d;
        int ks = n * hkv * d;
        qPre = new double[qs];
        q = new double[qs];
        ctx = new double[qs];
        dctx = new double[qs];
        dq = new double[qs];
        dqPre = new double[qs];
        kPre = new double[ks];
        k = new double[ks];
        v = new double[ks];
        dk = new double[ks];
        dv = new double[ks];
        dkPre = new double[ks];
        lse = new double[n * hq];
    }
}
