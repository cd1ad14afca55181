package dev.conclave.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.training.Param;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.nn.TinyConfigs;
import dev.conclave.training.rl.PolicyLoss;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The sampler's recorded log-probs (training spec §1.1 step 2) against the trainer's own float64
 * log-softmax(z/τ) on the same weights, at several temperatures: they differ only by float32 arithmetic over the
 * float32-rounded published weights. Also: published snapshots do not follow later changes of the masters.
 */
class RolloutLogProbsTest {

    /** A random tiny model whose head is scaled up so the logits spread over several nats (not near uniform). */
    private static TrainableModel spreadModel(Parallel parallel) {
        ModelConfig c = TinyConfigs.gradCheck();
        TrainableModel model = TrainableModel.random(c, 17, parallel);
        double[] head = model.param("lm_head.weight").value();
        for (int i = 0; i < head.length; i++) {
            head[i] *= 60;
        }
        return model;
    }

    @Test
    void recordedLogProbsMatchTheTrainersFloat64LogSoftmaxAtTheSamplingTemperature() {
        try (Parallel parallel = Parallel.create(2)) {
            TrainableModel model = spreadModel(parallel);
            List<int[]> prompts = List.of(new int[] {3, 9, 4}, new int[] {7}, new int[] {1, 2, 3, 4, 5, 6});
            double worst = 0;
            for (double tau : new double[] {0.7, 1.0, 1.5}) {
                List<Rollouts.Completion> with;
                List<Rollouts.Completion> without;
                try (Checkpoint weights = PublishedWeights.publish(model.config(), model.params(), 4)) {
                    InProcessPipeline pipeline = InProcessPipeline.load(weights, parallel);
                    with = Rollouts.generate(pipeline, 4, prompts, 3, tau, 10, Set.of(), 99, true);
                    without = Rollouts.generate(pipeline, 4, prompts, 3, tau, 10, Set.of(), 99, false);
                }
                double spread = 0;
                for (int i = 0; i < with.size(); i++) {
                    Rollouts.Completion c = with.get(i);
                    assertArrayEquals(without.get(i).tokens(), c.tokens(), "log-probs change no token");
                    assertNull(without.get(i).logProbs());
                    assertEquals(4, c.version(), "each sample carries the version that generated it");
                    int[] prompt = prompts.get(c.prompt());
                    int[] doc = new int[prompt.length + c.tokens().length];
                    System.arraycopy(prompt, 0, doc, 0, prompt.length);
                    System.arraycopy(c.tokens(), 0, doc, prompt.length, c.tokens().length);
                    TrainableModel.Forward f = model.forward(Batch.of(doc), false);
                    for (int t = 0; t < c.tokens().length; t++) {
                        int row = prompt.length + t - 1;
                        double train = PolicyLoss.logProb(f.logits(), row * f.vocab(), f.vocab(), tau, c.tokens()[t]);
                        double sampled = c.logProbs()[t];
                        // float32 weights and arithmetic against float64: a few 1e-6 of the logits' scale.
                        assertEquals(train, sampled, 1e-4, "τ " + tau + ", sample " + i + ", token " + t);
                        worst = Math.max(worst, Math.abs(train - sampled));
                        spread = Math.min(spread, sampled);
                    }
                }
                assertTrue(spread < -1, "τ " + tau + ": some sampled token was unlikely (log-prob " + spread + ")");
            }
            assertNotEquals(0.0, worst, "float32 sampling over float32-rounded weights is not bit-equal to float64");
        }
    }

    @Test
    void aPublishedSnapshotKeepsItsValuesWhenTheMastersChange() {
        try (Parallel parallel = Parallel.serial()) {
            TrainableModel model = TrainableModel.random(TinyConfigs.gradCheck(), 3, parallel);
            Param head = model.param("lm_head.weight");
            double before = head.value()[5];
            try (Checkpoint snapshot = PublishedWeights.publish(model.config(), model.params(), 0)) {
                head.value()[5] = before + 1;
                Tensor t = snapshot.tensor("lm_head.weight");
                assertEquals(DType.F32, t.dtype());
                assertEquals((float) before, t.dtype().read(t.data(), 5));
            }
        }
    }
}
