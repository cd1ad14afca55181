package dev.conclave.training.nn;

import static dev.conclave.training.nn.GradCheck.assertGradient;
import static dev.conclave.training.nn.GradCheck.gaussian;
import static dev.conclave.training.nn.GradCheck.project;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every hand-written backward against central finite differences in float64 (training spec §5.10) on tiny
 * shapes: each op's output is turned into a scalar by a fixed random projection, and every parameter and
 * input element is checked.
 */
class BackwardTest {

    private static final Parallel SERIAL = Parallel.serial();
    private static Parallel parallel;

    @BeforeAll
    static void start() {
        parallel = Parallel.create(2);
    }

    @AfterAll
    static void stop() {
        parallel.close();
    }

    private static void zeroGrads(ParamSet params) {
        params.all().forEach(Param::zeroGrad);
    }

    /** Checks every parameter except the correction bias (which has no gradient), then the input. */
    /** A scalar loss of one forward on the given thread team. */
    @FunctionalInterface
    interface Loss {
        double at(Parallel p);
    }

    /**
     * Checks every parameter except the correction bias (which has no gradient), then the input. The
     * analytic gradient came from the two-thread team; the finite differences run serially, which is faster
     * for thousands of tiny forwards and also shows the parallel split changes nothing.
     */
    private static void assertAll(ParamSet params, double[] input, double[] dInput, Loss loss) {
        DoubleSupplier serial = () -> loss.at(SERIAL);
        for (Param p : params.all()) {
            if (!p.name().endsWith("e_score_correction_bias")) {
                assertGradient(p, serial);
            }
        }
        if (input != null) {
            assertGradient("input", input, dInput, serial);
        }
    }

    @ParameterizedTest
    @CsvSource({"5, 11, 7", "5, 37, 10", "1, 16, 4", "9, 8, 3"})
    void linear(int n, int in, int out) {
        Random rnd = new Random(n * 100 + in);
        ParamSet params = new ParamSet();
        Linear lin = new Linear(params.create("w", Param.Kind.MATRIX, out, in), params.create("b", Param.Kind.VECTOR, out));
        GradCheck.randomise(params.all(), rnd);
        double[] x = gaussian(n * in, 1, rnd);
        double[] r = gaussian(n * out, 1, rnd);
        double[] y = new double[n * out];
        Loss loss = p -> {
            lin.forward(x, n, y, p);
            return project(r, y);
        };
        loss.at(parallel);
        double[] dx = new double[n * in];
        zeroGrads(params);
        lin.backward(x, r, n, dx, parallel);
        assertAll(params, x, dx, loss);
    }

    @Test
    void rmsNorm() {
        Random rnd = new Random(1);
        ParamSet params = new ParamSet();
        RmsNorm norm = new RmsNorm(params.create("norm.weight", Param.Kind.VECTOR, 8), 1e-5);
        GradCheck.randomise(params.all(), rnd);
        int rows = 3;
        double[] x = gaussian(rows * 8, 1, rnd);
        double[] r = gaussian(rows * 8, 1, rnd);
        double[] y = new double[rows * 8];
        Loss loss = p -> {
            norm.forward(x, rows, y);
            return project(r, y);
        };
        loss.at(parallel);
        double[] dx = new double[x.length];
        zeroGrads(params);
        norm.backward(r, dx);
        assertAll(params, x, dx, loss);
    }

    @Test
    void partialRopeOverPackedDocuments() {
        Random rnd = new Random(2);
        Documents docs = Documents.of(3, 2);
        int heads = 2;
        int d = 8;
        Rope rope = new Rope(d, 4, 10_000);
        double[] x = gaussian(docs.rows() * heads * d, 1, rnd);
        double[] r = gaussian(x.length, 1, rnd);
        DoubleSupplier loss = () -> {
            double[] y = x.clone();
            rope.forward(y, heads, docs);
            return project(r, y);
        };
        double[] dx = r.clone();
        rope.backward(dx, heads, docs);
        assertGradient("rope input", x, dx, loss);
        double[] y = x.clone();
        rope.forward(y, heads, docs);
        for (int t : new int[] {0, 3}) {
            int o = t * heads * d;
            assertTrue(Arrays.equals(Arrays.copyOfRange(x, o, o + heads * d), Arrays.copyOfRange(y, o, o + heads * d)),
                    "position 0 of every document is not rotated");
        }
        assertTrue(y[heads * d + 4] == x[heads * d + 4], "dims >= rotary dim pass through");
    }

    @ParameterizedTest
    @CsvSource({"true, true", "false, false"})
    void gqaAttentionWithQkNormOverPackedDocuments(boolean qkNorm, boolean bias) {
        ModelConfig c = TinyConfigs.config(32, 16, 1, 4, 2, 8, 24, 8, 4, 1, 2, 1, 1, true, qkNorm, bias);
        Random rnd = new Random(3);
        ParamSet params = new ParamSet();
        Attention attn = new Attention(c, params, "self_attn.");
        GradCheck.randomise(params.all(), rnd);
        Documents docs = Documents.of(3, 4, 1);
        int n = docs.rows();
        double[] a = gaussian(n * 16, 1, rnd);
        double[] r = gaussian(n * 16, 1, rnd);
        double[] y = new double[n * 16];
        Loss loss = p -> {
            attn.forward(a, docs, y, p);
            return project(r, y);
        };
        loss.at(parallel);
        double[] da = new double[a.length];
        zeroGrads(params);
        attn.backward(r, da, parallel);
        assertAll(params, a, da, loss);
    }

    @Test
    void swiGlu() {
        Random rnd = new Random(4);
        ParamSet params = new ParamSet();
        SwiGlu mlp = new SwiGlu(params, "mlp.", 16, 24);
        GradCheck.randomise(params.all(), rnd);
        int n = 5;
        double[] x = gaussian(n * 16, 1, rnd);
        double[] r = gaussian(n * 16, 1, rnd);
        double[] y = new double[n * 16];
        Loss loss = p -> {
            mlp.forward(x, n, y, p);
            return project(r, y);
        };
        loss.at(parallel);
        double[] dx = new double[x.length];
        zeroGrads(params);
        mlp.backward(r, dx, parallel);
        assertAll(params, x, dx, loss);
    }

    @ParameterizedTest
    @CsvSource({"true, 1, 1", "false, 1, 1", "true, 2, 1"})
    void routerGatesAndBalanceLoss(boolean normTopk, int groups, int topkGroup) {
        ModelConfig c = TinyConfigs.config(32, 16, 1, 2, 1, 8, 24, 8, 8, 1, 2, groups, topkGroup, normTopk, true, true);
        Random rnd = new Random(5);
        ParamSet params = new ParamSet();
        Router router = new Router(c, params, "gate.");
        GradCheck.randomise(params.all(), rnd);
        Documents docs = Documents.of(4, 3);
        int n = docs.rows();
        boolean[] counted = {true, true, true, false, true, true, true};
        double[] m = gaussian(n * 16, 1, rnd);
        double[] cg = gaussian(n * 2, 1, rnd);
        double auxWeight = 0.7;
        Loss loss = p -> {
            router.forward(m, docs, counted, p);
            double l = 0;
            for (int t = 0; t < n; t++) {
                for (int slot = 0; slot < 2; slot++) {
                    l += cg[t * 2 + slot] * router.gateOf(t, slot);
                }
            }
            return l + auxWeight * router.auxLoss();
        };
        loss.at(parallel);
        assertTrue(router.minMargin() > 1e-4, "inputs away from top-k ties, margin " + router.minMargin());
        double[] dm = new double[m.length];
        zeroGrads(params);
        router.backward(cg, auxWeight, dm, parallel);
        assertTrue(Arrays.stream(params.get("gate.e_score_correction_bias").grad()).allMatch(g -> g == 0),
                "the correction bias gets no gradient");
        assertAll(params, m, dm, loss);
    }

    @Test
    void moeWithSharedExpert() {
        ModelConfig c = TinyConfigs.config(32, 16, 1, 2, 1, 8, 24, 8, 4, 1, 2, 1, 1, true, true, true);
        Random rnd = new Random(6);
        ParamSet params = new ParamSet();
        Moe moe = new Moe(c, params, "mlp.", 1, ExpertsFactory.LOCAL);
        GradCheck.randomise(params.all(), rnd);
        Documents docs = Documents.of(5, 2);
        int n = docs.rows();
        double[] m = gaussian(n * 16, 1, rnd);
        double[] r = gaussian(n * 16, 1, rnd);
        double[] y = new double[n * 16];
        double auxWeight = 0.3;
        Loss loss = p -> {
            moe.forward(m, docs, null, y, p);
            return project(r, y) + auxWeight * moe.router().auxLoss();
        };
        loss.at(parallel);
        assertTrue(moe.router().minMargin() > 1e-4, "margin " + moe.router().minMargin());
        double[] dm = new double[m.length];
        zeroGrads(params);
        moe.backward(r, auxWeight, dm, parallel);
        assertAll(params, m, dm, loss);
    }

    @Test
    void mtpLayer() {
        ModelConfig c = TinyConfigs.gradCheck();
        Random rnd = new Random(7);
        ParamSet params = new ParamSet();
        Embedding embedding = new Embedding(params.create("embed_tokens.weight", Param.Kind.EMBEDDING, 32, 16));
        MtpLayer mtp = new MtpLayer(c, params, "model.layers.2.", embedding, ExpertsFactory.LOCAL);
        GradCheck.randomise(params.all(), rnd);
        Documents docs = Documents.of(4, 3);
        int n = docs.rows();
        int[] next = {5, 9, 5, 1, 30, 2, 7};
        double[] h = gaussian(n * 16, 1, rnd);
        double[] r = gaussian(n * 16, 1, rnd);
        double[] g = new double[n * 16];
        Loss loss = p -> {
            mtp.forward(h, next, docs, null, g, p);
            return project(r, g);
        };
        loss.at(parallel);
        assertTrue(mtp.block().moe().router().minMargin() > 1e-4, "margin " + mtp.block().moe().router().minMargin());
        double[] dh = new double[h.length];
        zeroGrads(params);
        mtp.backward(r, 0, dh, parallel);
        assertAll(params, h, dh, loss);
    }

    @Test
    void crossEntropyWithMask() {
        Random rnd = new Random(8);
        int n = 4;
        int vocab = 7;
        double[] logits = gaussian(n * vocab, 2, rnd);
        int[] target = {3, 0, 6, 2};
        double[] weight = {0.25, 0, 0.5, 0.25};
        double[] d = new double[n * vocab];
        CrossEntropy.apply(logits, n, vocab, target, weight, d);
        assertGradient("logits", logits, d, () -> CrossEntropy.apply(logits, n, vocab, target, weight, null).loss());
        for (int v = 0; v < vocab; v++) {
            assertTrue(d[vocab + v] == 0, "a masked row gets no gradient");
        }
    }
}
