package dev.conclave.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;
import dev.conclave.training.model.TrainableModel.LossWeights;
import dev.conclave.training.model.TrainableModel.Losses;
import dev.conclave.training.nn.Documents;
import dev.conclave.training.nn.ParamSet;
import dev.conclave.training.nn.Router;
import dev.conclave.training.nn.TinyConfigs;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Packed documents never see each other; loss-free bias update; the balance loss on a hand-computed case. */
class PackingAndBalanceTest {

    private static final Parallel SERIAL = Parallel.serial();

    @Test
    void packedDocumentsGiveTheTokenWeightedMeanOfTheirSeparateLosses() {
        ModelConfig c = TinyConfigs.gradCheck();
        TrainableModel model = TrainableModel.random(c, 5, SERIAL);
        ModelGradientTest.randomise(model, 7);
        LossWeights w = new LossWeights(0, 0.3);
        int[] a = {3, 17, 8, 29, 1, 12};
        boolean[] am = {false, true, true, false, true, true};
        int[] b = {5, 30, 2, 9};
        boolean[] bm = {false, true, true, true};
        Losses la = model.loss(new Batch.Builder().add(a, am).build(), w);
        Losses lb = model.loss(new Batch.Builder().add(b, bm).build(), w);
        Losses both = model.loss(new Batch.Builder().add(a, am).add(b, bm).build(), w);
        assertEquals(la.targets() + lb.targets(), both.targets());
        assertEquals(la.mtpTargets() + lb.mtpTargets(), both.mtpTargets());
        assertEquals((la.ce() * la.targets() + lb.ce() * lb.targets()) / both.targets(), both.ce(), 1e-12);
        assertEquals((la.mtpLoss() * la.mtpTargets() + lb.mtpLoss() * lb.mtpTargets()) / both.mtpTargets(),
                both.mtpLoss(), 1e-12);
        // Targets by hand: main predicts t+1 when masked (a: 17, 8, 1, 12; b: 30, 2, 9), MTP t+2 (a: 8, 1, 12; b: 2, 9).
        assertEquals(7, both.targets());
        assertEquals(5, both.mtpTargets());
    }

    @Test
    void microBatchGradientsSumToTheWholeStep() {
        ModelConfig c = TinyConfigs.gradCheck();
        TrainableModel model = TrainableModel.random(c, 5, SERIAL);
        ModelGradientTest.randomise(model, 7);
        LossWeights w = new LossWeights(0, 0.3);
        Batch a = new Batch.Builder().add(new int[] {3, 17, 8, 29, 1, 12}, new boolean[] {false, true, true, false, true, true}).build();
        Batch b = new Batch.Builder().add(new int[] {5, 30, 2, 9}, new boolean[] {false, true, true, true}).build();
        Batch both = new Batch.Builder().add(a.tokens(), a.lossMask()).add(b.tokens(), b.lossMask()).build();
        model.zeroGrad();
        Losses whole = model.lossAndBackward(both, w);
        double[][] expected = model.params().stream().map(p -> p.grad().clone()).toArray(double[][]::new);
        model.zeroGrad();
        TrainableModel.StepTotals step = TrainableModel.StepTotals.of(List.of(a, b));
        double total = model.lossAndBackward(a, w, step).total() + model.lossAndBackward(b, w, step).total();
        assertEquals(whole.total(), total, 1e-12);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], model.params().get(i).grad(), 1e-12, model.params().get(i).name());
        }
    }

    /** Reused buffers carry nothing from one step to the next, whether the next batch is larger or smaller. */
    @Test
    void aStepDoesNotDependOnThePreviousOne() {
        try (Parallel team = Parallel.create(2)) {
            aStepDoesNotDependOnThePreviousOne(team);
        }
    }

    private static void aStepDoesNotDependOnThePreviousOne(Parallel team) {
        ModelConfig c = TinyConfigs.gradCheck();
        TrainableModel model = TrainableModel.random(c, 5, team);
        ModelGradientTest.randomise(model, 7);
        LossWeights w = new LossWeights(0.01, 0.3);
        Batch small = ModelGradientTest.packed();
        Batch.Builder big = new Batch.Builder();
        for (int d = 0; d < 5; d++) {
            int[] tokens = new int[7 + d];
            boolean[] mask = new boolean[tokens.length];
            for (int t = 0; t < tokens.length; t++) {
                tokens[t] = (d * 11 + t * 7) % c.vocabSize();
                mask[t] = t % 3 != 0;
            }
            big.add(tokens, mask);
        }
        model.zeroGrad();
        Losses first = model.lossAndBackward(small, w);
        double[][] expected = model.params().stream().map(p -> p.grad().clone()).toArray(double[][]::new);
        model.zeroGrad();
        model.lossAndBackward(big.build(), w);
        model.zeroGrad();
        Losses again = model.lossAndBackward(small, w);
        // Within 1e-12, not bit for bit: a Vector API lane sum (reduceLanes) may round differently once C2 has
        // compiled the kernel than it did interpreted, so a JVM's first steps need not repeat to the last bit.
        // State carried over from the big batch would show far above that.
        assertEquals(first.total(), again.total(), 1e-12);
        assertEquals(first.ce(), again.ce(), 1e-12);
        assertEquals(first.mtpLoss(), again.mtpLoss(), 1e-12);
        assertEquals(first.auxLoss(), again.auxLoss(), 1e-12);
        assertEquals(first.targets(), again.targets());
        assertEquals(first.mtpTargets(), again.mtpTargets());
        assertEquals(first.correct(), again.correct());
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], model.params().get(i).grad(), 1e-12, model.params().get(i).name());
        }
    }

    /** Four experts, top-2; gate row e = 10·unit_e and inputs unit_a + unit_b, so row t picks {a, b}. */
    private static Router handRouter(ParamSet params) {
        ModelConfig c = TinyConfigs.config(32, 16, 1, 2, 1, 8, 24, 8, 4, 1, 2, 1, 1, true, true, true);
        Router router = new Router(c, params, "gate.");
        double[] w = params.get("gate.weight").value();
        for (int e = 0; e < 4; e++) {
            w[e * 16 + e] = 10;
        }
        return router;
    }

    private static double[] rows(int[][] pairs) {
        double[] m = new double[pairs.length * 16];
        for (int t = 0; t < pairs.length; t++) {
            m[t * 16 + pairs[t][0]] = 1;
            m[t * 16 + pairs[t][1]] = 1;
        }
        return m;
    }

    @Test
    void balanceLossMatchesTheHandComputedValue() {
        ParamSet params = new ParamSet();
        Router router = handRouter(params);
        router.forward(rows(new int[][] {{0, 1}, {0, 2}, {0, 3}}), Documents.of(3), null, SERIAL);
        // f = E/(K·T)·counts = (4/6)·[3, 1, 1, 1]; s = σ(10) on the two chosen, 0.5 on the others.
        double hi = 1 / (1 + Math.exp(-10));
        double sum = 2 * hi + 1;
        double p0 = hi / sum;
        double pOther = (hi + 2 * 0.5) / 3 / sum;
        double expected = 2 * p0 + 3 * (2.0 / 3) * pOther;
        assertEquals(expected, router.auxLoss(), 1e-15);
    }

    @Test
    void biasMovesTowardUnderloadedExpertsAndRateZeroIsANoOp() {
        ParamSet params = new ParamSet();
        Router router = handRouter(params);
        Param bias = params.get("gate.e_score_correction_bias");
        double[] m = rows(new int[][] {{0, 1}, {0, 2}, {0, 3}, {1, 2}});
        boolean[] counted = {true, true, true, false};
        router.forward(m, Documents.of(4), counted, SERIAL);
        router.backward(new double[8], 0, new double[m.length], SERIAL);
        assertArrayEquals(new long[] {3, 1, 1, 1}, router.loads(), "the uncounted row is left out");
        router.updateBias(0);
        assertArrayEquals(new double[4], bias.value(), 0, "rate 0 changes nothing");
        assertArrayEquals(new long[4], router.loads(), "the update restarts the counts");

        router.forward(m, Documents.of(4), counted, SERIAL);
        router.backward(new double[8], 0, new double[m.length], SERIAL);
        router.updateBias(0.001);
        // mean load 1.5: expert 0 (3) is over-loaded and goes down, the others (1) go up.
        assertArrayEquals(new double[] {-0.001, 0.001, 0.001, 0.001}, bias.value(), 1e-18);
    }

    @Test
    void evaluationForwardsDoNotCountLoads() {
        TrainableModel model = TrainableModel.random(TinyConfigs.gradCheck(), 5, SERIAL);
        Batch batch = ModelGradientTest.packed();
        model.loss(batch, new LossWeights(0, 0.3));
        for (Router r : model.routers()) {
            assertArrayEquals(new long[4], r.loads());
        }
        model.lossAndBackward(batch, new LossWeights(0, 0.3));
        Router main = model.routers().get(0);
        Router mtp = model.routers().get(1);
        assertEquals(2L * batch.rows(), Arrays.stream(main.loads()).sum());
        // The MTP stream has no input at each document's last row: 9 rows, 2 documents.
        assertEquals(2L * (batch.rows() - 2), Arrays.stream(mtp.loads()).sum());
    }
}
