package dev.conclave.training.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;
import dev.conclave.training.model.TrainableModel.LossWeights;
import dev.conclave.training.model.TrainableModel.Losses;
import dev.conclave.training.nn.GradCheck;
import dev.conclave.training.nn.Router;
import dev.conclave.training.nn.TinyConfigs;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole model against finite differences (training spec §5.10): H 16, 2 heads, 1 KV head, 4 experts
 * top-2, V 32, one dense and one MoE layer, shared expert, MTP, the balance loss and the MTP loss on,
 * two packed documents with a loss mask; a sample of elements of every tensor.
 */
class ModelGradientTest {

    private static final LossWeights WEIGHTS = new LossWeights(0.1, 0.3);
    private static Parallel parallel;

    @BeforeAll
    static void start() {
        parallel = Parallel.create(2);
    }

    @AfterAll
    static void stop() {
        parallel.close();
    }

    static Batch packed() {
        return new Batch.Builder()
                .add(new int[] {3, 17, 8, 29, 1, 12}, new boolean[] {false, true, true, false, true, true})
                .add(new int[] {5, 30, 2}, new boolean[] {false, true, true})
                .build();
    }

    static void randomise(TrainableModel m, long seed) {
        GradCheck.randomise(m.params(), new Random(seed));
    }

    @Test
    void everyTensorMatchesFiniteDifferences() {
        ModelConfig c = TinyConfigs.gradCheck();
        TrainableModel model = TrainableModel.random(c, 1, parallel);
        TrainableModel probe = TrainableModel.random(c, 1, Parallel.serial());
        randomise(model, 11);
        randomise(probe, 11);
        Batch batch = packed();
        model.zeroGrad();
        Losses losses = model.lossAndBackward(batch, WEIGHTS);
        assertTrue(losses.mtpTargets() > 0 && losses.auxLoss() > 0, "MTP and balance losses are on: " + losses);
        for (Router r : model.routers()) {
            assertTrue(r.minMargin() > 1e-4, "inputs away from top-k ties, margin " + r.minMargin());
        }
        assertEquals(losses.total(), probe.loss(batch, WEIGHTS).total(), 1e-12, "the two copies agree");

        Random rnd = new Random(3);
        int checked = 0;
        for (Param p : model.params()) {
            if (p.name().endsWith("e_score_correction_bias")) {
                continue;
            }
            Param twin = probe.param(p.name());
            int[] indices = GradCheck.sample(p.size(), 6, rnd);
            double rel = GradCheck.relativeError(twin.value(), p.grad(), indices,
                    () -> probe.loss(batch, WEIGHTS).total());
            assertTrue(rel <= GradCheck.TOLERANCE, p.name() + ": gradient relative error " + rel);
            checked++;
        }
        assertEquals(model.trainableParams().size(), checked);
        assertTrue(model.params().stream().anyMatch(p -> p.name().equals("model.layers.2.eh_proj.weight")),
                "the MTP layer's tensors are under model.layers.{num_hidden_layers}");
    }

    /**
     * The entry point GRPO uses: a caller's gradient with respect to the logits. Fed the cross-entropy
     * gradient written out here (softmax − onehot over the masked next tokens, divided by their count), it
     * gives the same parameter gradients as the built-in objective; a second backward is refused.
     */
    @Test
    void backwardOfCallerLogitGradientsMatchesTheObjective() {
        ModelConfig c = TinyConfigs.gradCheck();
        TrainableModel model = TrainableModel.random(c, 2, parallel);
        randomise(model, 4);
        Batch batch = packed();
        model.zeroGrad();
        model.lossAndBackward(batch, new LossWeights(0, 0));
        double[][] expected = model.params().stream().map(p -> p.grad().clone()).toArray(double[][]::new);

        model.zeroGrad();
        TrainableModel.Forward f = model.forward(batch, false);
        int v = c.vocabSize();
        double[] dLogits = new double[batch.rows() * v];
        int targets = 0;
        for (int t = 0; t + 1 < batch.rows(); t++) {
            targets += batch.isTarget(t, 1) ? 1 : 0;
        }
        for (int t = 0; t < batch.rows(); t++) {
            if (!batch.isTarget(t, 1)) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) {
                max = Math.max(max, f.logits()[t * v + j]);
            }
            double z = 0;
            for (int j = 0; j < v; j++) {
                z += Math.exp(f.logits()[t * v + j] - max);
            }
            for (int j = 0; j < v; j++) {
                double p = Math.exp(f.logits()[t * v + j] - max) / z;
                dLogits[t * v + j] = (p - (j == batch.tokens()[t + 1] ? 1 : 0)) / targets;
            }
        }
        model.backward(dLogits, null, 0);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], model.params().get(i).grad(), 1e-12,
                    model.params().get(i).name());
        }
        assertThrows(IllegalStateException.class, () -> model.backward(dLogits, null, 0));
    }
}
