package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;

import java.util.Arrays;

/**
 * One pre-norm decoder layer (model spec §2, training spec §5.9): {@code x₁ = x + Attn(norm₁(x))},
 * {@code x₂ = x₁ + FFN(norm₂(x₁))} with a dense SwiGLU for layers below {@code first_k_dense_replace} and an
 * MoE block otherwise (and always in the MTP layer).
 */
public final class DecoderLayer {

    private final int hidden;
    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postNorm;
    private final SwiGlu dense;
    private final Moe moe;

    private Documents docs;
    private double[] a = new double[0];
    private double[] attnOut = new double[0];
    private double[] mid = new double[0];
    private double[] m = new double[0];
    private double[] ffnOut = new double[0];
    private double[] dm = new double[0];
    private double[] dmid = new double[0];
    private double[] da = new double[0];

    /** Layer {@code layer}, whose tensors are named {@code prefix + "self_attn."} etc.; an MoE one's experts from the factory. */
    public DecoderLayer(ModelConfig c, ParamSet params, String prefix, int layer, boolean isMoe, ExpertsFactory experts) {
        this.hidden = c.hiddenSize();
        this.inputNorm = new RmsNorm(params.create(prefix + "input_layernorm.weight", Param.Kind.VECTOR, hidden),
                c.rmsNormEps());
        this.attention = new Attention(c, params, prefix + "self_attn.");
        this.postNorm = new RmsNorm(params.create(prefix + "post_attention_layernorm.weight", Param.Kind.VECTOR, hidden),
                c.rmsNormEps());
        this.dense = isMoe ? null : new SwiGlu(params, prefix + "mlp.", hidden, c.intermediateSize());
        this.moe = isMoe ? new Moe(c, params, prefix + "mlp.", layer, experts) : null;
    }

    /** The MoE block, or null for a dense layer. */
    public Moe moe() { return moe; }

    /** {@code out = layer(x)}; x must stay unchanged until {@link #backward}. counted: see {@link Router#forward}. */
    public void forward(double[] x, Documents docs, boolean[] counted, double[] out, Parallel p) {
        int n = docs.rows();
        this.docs = docs;
        ensure(n * hidden);
        inputNorm.forward(x, n, a);
        attention.forward(a, docs, attnOut, p);
        for (int i = 0; i < n * hidden; i++) {
            mid[i] = x[i] + attnOut[i];
        }
        postNorm.forward(mid, n, m);
        if (moe != null) {
            moe.forward(m, docs, counted, ffnOut, p);
        } else {
            dense.forward(m, n, ffnOut, p);
        }
        for (int i = 0; i < n * hidden; i++) {
            out[i] = mid[i] + ffnOut[i];
        }
    }

    /** Accumulates every parameter gradient and writes {@code dx = ∂L/∂x} for {@code dOut = ∂L/∂out}. */
    public void backward(double[] dOut, double auxWeight, double[] dx, Parallel p) {
        int len = docs.rows() * hidden;
        Arrays.fill(dm, 0, len, 0);
        if (moe != null) {
            moe.backward(dOut, auxWeight, dm, p);
        } else {
            dense.backward(dOut, dm, p);
        }
        System.arraycopy(dOut, 0, dmid, 0, len);
        postNorm.backward(dm, dmid);
        Arrays.fill(da, 0, len, 0);
        attention.backward(dmid, da, p);
        System.arraycopy(dmid, 0, dx, 0, len);
        inputNorm.backward(da, dx);
    }

    private void ensure(int len) {
        if (a.length < len) {
            a = new double[len];
            attnOut = new double[len];
            mid = new double[len];
            m = new double[len];
            ffnOut = new double[len];
            dm = new double[len];
            dmid = new double[len];
            da = new double[len];
        }
    }
}
