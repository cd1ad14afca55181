package dev.conclave.attention;

import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.kernels.Activations;
import dev.conclave.core.kernels.LinearBatch;
import dev.conclave.core.kernels.RmsNorm;
import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One layer's attention block (spec §3), residual included:
 * {@code x ← x + o_proj(Attention(input_layernorm(x)))}. q/k/v carry biases when the checkpoint has
 * them; QK-norm (one RMSNorm weight of head_dim shared by all heads) runs after the bias and before
 * partial RoPE; query head h reads KV head h / (Hq/Hkv); softmax scale is head_dim^-0.5.
 */
public final class AttentionLayer {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** The weights of the block, as named in the checkpoint; biases and norms may be null when absent. */
    public record Weights(float[] inputLayernorm, Matrix qProj, Matrix kProj, Matrix vProj, Matrix oProj,
                          float[] qBias, float[] kBias, float[] vBias, float[] qNorm, float[] kNorm) {
    }

    private final ModelConfig config;
    private final Weights w;
    private final Rope rope;
    private final float eps;
    private final float scale;

    private final Rows normed = new Rows();
    private final Rows context = new Rows();
    private final LinearBatch batch = new LinearBatch();
    private float[] a = new float[0];
    private float[] q = new float[0];
    private float[] k = new float[0];
    private float[] v = new float[0];
    private float[] attn = new float[0];
    private float[] o = new float[0];

    public AttentionLayer(ModelConfig config, Weights weights, Rope rope) {
        int h = config.hiddenSize();
        weights.qProj().requireShape(config.qWidth(), h);
        weights.kProj().requireShape(config.kvWidth(), h);
        weights.vProj().requireShape(config.kvWidth(), h);
        weights.oProj().requireShape(h, config.qWidth());
        if (config.useQkNorm() && (weights.qNorm() == null || weights.kNorm() == null)) {
            throw new IllegalArgumentException("use_qk_norm is set but q_norm/k_norm weights are missing");
        }
        this.config = config;
        this.w = weights;
        this.rope = rope;
        this.eps = (float) config.rmsNormEps();
        this.scale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** A KV cache sized for this layer. */
    public KvCache newCache() {
        return new KvCache(config.kvWidth());
    }

    /**
     * Runs the block over all rows of {@code x} ([rows, hidden]) in place. {@code caches[s]} is the
     * cache of sequence s of the layout; its length must equal that sequence's start position.
     */
    public void forward(float[] x, StepLayout layout, KvCache[] caches, Parallel parallel) {
        int rows = layout.rows();
        int hidden = config.hiddenSize();
        int qw = config.qWidth();
        int kvw = config.kvWidth();
        ensure(rows);

        RmsNorm.apply(x, 0, w.inputLayernorm(), eps, a, 0, rows);
        normed.load(a, rows, hidden);
        batch.clear()
                .add(w.qProj(), normed, q, 0, qw)
                .add(w.kProj(), normed, k, 0, kvw)
                .add(w.vProj(), normed, v, 0, kvw)
                .run(parallel);

        int[] positions = layout.positions();
        for (int r = 0; r < rows; r++) {
            prepareHeads(q, r * qw, w.qBias(), w.qNorm(), config.numAttentionHeads(), positions[r]);
            prepareHeads(k, r * kvw, w.kBias(), w.kNorm(), config.numKeyValueHeads(), positions[r]);
            if (w.vBias() != null) {
                for (int i = 0; i < kvw; i++) {
                    v[r * kvw + i] += w.vBias()[i];
                }
            }
        }
        for (int s = 0; s < layout.sequences(); s++) {
            KvCache cache = caches[s];
            if (cache.length() != layout.startPosition(s)) {
                throw new IllegalStateException("sequence " + s + ": KV cache holds " + cache.length()
                        + " positions but the step starts at position " + layout.startPosition(s));
            }
            for (int i = 0; i < layout.count(s); i++) {
                int r = layout.start(s) + i;
                cache.append(k, r * kvw, v, r * kvw);
            }
        }

        int heads = config.numAttentionHeads();
        int units = layout.sequences() * heads;
        parallel.forRange(units, (u0, u1) -> {
            float[] scores = new float[maxLength(caches, layout.sequences())];
            for (int u = u0; u < u1; u++) {
                attendHead(u / heads, u % heads, layout, caches, scores);
            }
        });

        context.load(attn, rows, qw);
        batch.clear().add(w.oProj(), context, o, 0, hidden).run(parallel);
        for (int i = 0; i < rows * hidden; i++) {
            x[i] += o[i];
        }
    }

    /** Bias, then per-head QK-norm, then partial RoPE, for the heads of one row. */
    private void prepareHeads(float[] t, int offset, float[] bias, float[] norm, int heads, int pos) {
        int d = config.headDim();
        if (bias != null) {
            for (int i = 0; i < heads * d; i++) {
                t[offset + i] += bias[i];
            }
        }
        if (config.useQkNorm()) {
            RmsNorm.apply(t, offset, norm, eps, t, offset, heads);
        }
        for (int h = 0; h < heads; h++) {
            rope.rotate(t, offset + h * d, pos);
        }
    }

    /** Causal attention of query head h over the cached keys of sequence s, for each new token. */
    private void attendHead(int s, int h, StepLayout layout, KvCache[] caches, float[] scores) {
        int d = config.headDim();
        int qw = config.qWidth();
        int kvw = config.kvWidth();
        int kvHead = h / config.gqaGroupSize();
        KvCache cache = caches[s];
        float[] keys = cache.keys();
        float[] values = cache.values();
        for (int i = 0; i < layout.count(s); i++) {
            int r = layout.start(s) + i;
            int visible = layout.startPosition(s) + i + 1;
            int qo = r * qw + h * d;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < visible; j++) {
                float sc = dot(q, qo, keys, j * kvw + kvHead * d, d) * scale;
                scores[j] = sc;
                max = Math.max(max, sc);
            }
            float inv = 1f / Activations.expShifted(scores, visible, max);
            int out = r * qw + h * d;
            java.util.Arrays.fill(attn, out, out + d, 0f);
            for (int j = 0; j < visible; j++) {
                axpy(scores[j] * inv, values, j * kvw + kvHead * d, attn, out, d);
            }
        }
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    private static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).fma(FloatVector.broadcast(F, alpha), FloatVector.fromArray(F, y, yo + i))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    private static int maxLength(KvCache[] caches, int n) {
        int max = 1;
        for (int s = 0; s < n; s++) {
            max = Math.max(max, caches[s].length());
        }
        return max;
    }

    private void ensure(int rows) {
        int hidden = config.hiddenSize();
        if (a.length < rows * hidden) {
            a = new float[rows * hidden];
            o = new float[rows * hidden];
            q = new float[rows * config.qWidth()];
            attn = new float[rows * config.qWidth()];
            k = new float[rows * config.kvWidth()];
            v = new float[rows * config.kvWidth()];
        }
    }
}
