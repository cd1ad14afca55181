package dev.conclave.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Matrix;
import dev.conclave.core.testing.TestConfigs;
import dev.conclave.core.testing.TestMatrices;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * One attention block on two tokens, with weights picked so that the outputs can be worked out by hand.
 * Both inputs have RMS 1, so {@code input_layernorm} (weight 1, negligible eps) leaves them unchanged:
 * <pre>
 *   x0 = [1,  1, 1,  1]
 *   x1 = [1, -1, 1, -1]
 * </pre>
 * With {@code W_v = W_o = I}, token 0 can only attend to itself and gets {@code x0 + v0 = 2·x0}; token 1
 * gets {@code x1 + P·x0 + (1-P)·x1 = [2, 2P-2, 2, 2P-2]} where P is its attention weight on token 0. The
 * tests set up q and k so that P is a closed-form expression.
 */
class AttentionLayerTest {

    private static final float TOL = 1e-5f;
    private static final float[] X0 = {1, 1, 1, 1};
    private static final float[] X1 = {1, -1, 1, -1};

    private static Matrix matrix(int rows, int cols, float... values) {
        return TestMatrices.of("w", DType.F32, rows, cols, Arrays.copyOf(values, rows * cols));
    }

    private static Matrix identity(int n) {
        float[] v = new float[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        return matrix(n, n, v);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    private static float[] concat(float[]... rows) {
        int n = 0;
        for (float[] r : rows) {
            n += r.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, o, r.length);
            o += r.length;
        }
        return out;
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /** Token 1's output when it puts weight P on token 0: [2, 2P-2, 2, 2P-2]. */
    private static float[] token1Output(double p) {
        float b = (float) (2 * p - 2);
        return new float[] {2, b, 2, b};
    }

    private static AttentionLayer layer(ModelConfig c, Matrix q, Matrix k, Matrix v, Matrix o,
                                        float[] qBias, float[] kBias, float[] vBias, float[] qNorm, float[] kNorm) {
        var w = new AttentionLayer.Weights(ones(c.hiddenSize()), q, k, v, o, qBias, kBias, vBias, qNorm, kNorm);
        return new AttentionLayer(c, w, new Rope(c.rotaryDim(), c.ropeTheta()));
    }

    private static float[] run(AttentionLayer layer, KvCache cache, float[] x, int rows) {
        float[] out = x.clone();
        layer.forward(out, StepLayout.single(rows, cache.length()), new KvCache[] {cache}, Parallel.serial());
        return out;
    }

    // --- QK-norm and RoPE ---------------------------------------------------------------------------------

    /**
     * head_dim 4, R = 2 (dims 0, 1 rotate by 1 rad per position), one head. q = 0.5·a_0 + bias 0.5 = e0 and
     * k = e0 for both tokens. QK-norm, after the bias: RMS(e0) = 1/2, so q → 2·e0 · q_norm[0] (1.5) = 3·e0
     * and k → 2·e0. Then RoPE: q1 = 3(cos 1, sin 1), k0 = (2, 0), k1 = 2(cos 1, sin 1). Scores with scale
     * 4^-0.5: s10 = 3 cos 1, s11 = 3, so P = σ(3 cos 1 − 3).
     *
     * <p>The norm weights differ on dims 0 and 1, so normalising after RoPE gives other scores (k1 becomes
     * (2 cos 1, sin 1)); skipping QK-norm, normalising before the bias, or scaling by R^-0.5 changes P too.
     */
    private static AttentionLayer qkNormExample(boolean useQkNorm) {
        ModelConfig c = TestConfigs.tiny("use_qk_norm", useQkNorm, "attention_bias", true);
        Matrix halfOfDim0 = matrix(4, 4, 0.5f);
        float[] bias = {0.5f, 0, 0, 0};
        return layer(c, halfOfDim0, halfOfDim0, identity(4), identity(4), bias, bias, null,
                new float[] {1.5f, 0.5f, 1, 1}, new float[] {1, 0.5f, 1, 1});
    }

    @Test
    void qkNormRunsPerHeadAfterTheBiasAndBeforeRope() {
        AttentionLayer layer = qkNormExample(true);
        float[] out = run(layer, layer.newCache(), concat(X0, X1), 2);
        double p = sigmoid(3 * Math.cos(1) - 3); // ≈ 0.2011
        assertArrayEquals(concat(new float[] {2, 2, 2, 2}, token1Output(p)), out, TOL);
    }

    /** Without QK-norm, q = k = e0 are rotated as they are: s10 = cos 1 / 2, s11 = 1/2, P = σ((cos 1 − 1)/2). */
    @Test
    void withoutQkNormTheRawProjectionsAreRotated() {
        AttentionLayer layer = qkNormExample(false);
        float[] out = run(layer, layer.newCache(), concat(X0, X1), 2);
        double p = sigmoid((Math.cos(1) - 1) / 2); // ≈ 0.4428
        assertArrayEquals(concat(new float[] {2, 2, 2, 2}, token1Output(p)), out, TOL);
    }

    /**
     * Two query heads over one KV head (hidden 8, head_dim 4). Head 0's query is e0, head 1's is 3·e0; k = e0.
     * Normalised per head, both queries become 2·e0, so both heads get P = σ(2 cos 1 − 2). One RMS over both
     * heads would give them different queries and different P.
     */
    @Test
    void qkNormNormalisesEachHeadOnItsOwn() {
        ModelConfig c = TestConfigs.tiny("hidden_size", 8, "num_attention_heads", 2, "num_key_value_heads", 1,
                "head_dim", 4, "use_qk_norm", true);
        float[] q = new float[8 * 8];
        q[0] = 1;          // head 0, dim 0 ← a_0
        q[4 * 8] = 3;      // head 1, dim 0 ← 3·a_0
        float[] k = new float[4 * 8];
        k[0] = 1;          // dim 0 ← a_0
        float[] v = new float[4 * 8];
        for (int i = 0; i < 4; i++) {
            v[i * 8 + i] = 1; // v = a[0..3]
        }
        AttentionLayer layer = layer(c, matrix(8, 8, q), matrix(4, 8, k), matrix(4, 8, v), identity(8),
                null, null, null, ones(4), ones(4));
        float[] out = run(layer, layer.newCache(), concat(X0, X0, X1, X1), 2);
        float[] t1 = token1Output(sigmoid(2 * Math.cos(1) - 2));
        assertArrayEquals(concat(new float[] {2, 2, 2, 2, 2, 2, 2, 2}, t1, t1), out, TOL);
    }

    // --- GQA ------------------------------------------------------------------------------------------------

    /**
     * 4 query heads over 2 KV heads (head_dim 2, hidden 8). v comes from its bias alone: KV head 0 = [1, 2],
     * KV head 1 = [3, 4]. A single token attends only to itself, so query head h outputs the value of KV head
     * h / 2: context [1,2, 1,2, 3,4, 3,4]. Mapping h % 2 would give [1,2, 3,4, 1,2, 3,4].
     */
    @Test
    void queryHeadReadsKvHeadHDividedByGroupSize() {
        ModelConfig c = TestConfigs.tiny("hidden_size", 8, "num_attention_heads", 4, "num_key_value_heads", 2,
                "head_dim", 2, "partial_rotary_factor", 1.0);
        AttentionLayer layer = layer(c, matrix(8, 8), matrix(4, 8), matrix(4, 8), identity(8),
                null, null, new float[] {1, 2, 3, 4}, null, null);
        float[] out = run(layer, layer.newCache(), ones(8), 1);
        assertArrayEquals(new float[] {2, 3, 2, 3, 4, 5, 4, 5}, out, 0f);
    }

    // --- causality and the KV cache ---------------------------------------------------------------------------

    /** q = k = 0: every visible key scores the same, so P is uniform over what a token may see. */
    private static AttentionLayer uniformAttention() {
        ModelConfig c = TestConfigs.tiny();
        return layer(c, matrix(4, 4), matrix(4, 4), identity(4), identity(4), null, null, null, null, null);
    }

    /** Token 0 sees only itself (2·x0); token 1 averages both: x1 + (x0 + x1)/2 = [2, -1, 2, -1]. */
    @Test
    void firstTokenDoesNotSeeTheLaterOneInAPrefill() {
        AttentionLayer layer = uniformAttention();
        float[] out = run(layer, layer.newCache(), concat(X0, X1), 2);
        assertArrayEquals(new float[] {2, 2, 2, 2, 2, -1, 2, -1}, out, 0f);
    }

    @Test
    void firstTokenOutputDoesNotDependOnTheLaterToken() {
        AttentionLayer layer = uniformAttention();
        float[] a = run(layer, layer.newCache(), concat(X0, X1), 2);
        float[] b = run(layer, layer.newCache(), concat(X0, new float[] {-1, -1, 1, 1}), 2);
        assertArrayEquals(Arrays.copyOf(a, 4), Arrays.copyOf(b, 4), 0f);
    }

    /** Decoding token 1 in a second step reads token 0 from the cache and matches the one-step prefill. */
    @Test
    void decodeStepAttendsToCachedPositions() {
        AttentionLayer layer = uniformAttention();
        KvCache cache = layer.newCache();
        float[] first = run(layer, cache, X0, 1);
        float[] second = run(layer, cache, X1, 1);
        assertEquals(2, cache.length());
        assertArrayEquals(new float[] {2, 2, 2, 2, 2, -1, 2, -1}, concat(first, second), 0f);
    }

    @Test
    void stepThatDoesNotStartAtTheCacheLengthIsRejected() {
        AttentionLayer layer = uniformAttention();
        KvCache cache = layer.newCache();
        run(layer, cache, X0, 1);
        float[] x = X1.clone();
        assertThrows(IllegalStateException.class,
                () -> layer.forward(x, StepLayout.single(1, 0), new KvCache[] {cache}, Parallel.serial()));
    }
}
