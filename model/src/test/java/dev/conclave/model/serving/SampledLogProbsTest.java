package dev.conclave.model.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.SelfDraftingCheckpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log-probs a request can ask for (training spec §1.1 step 2): each generated token's log-softmax(z/τ) over the
 * whole vocabulary, checked against the logits of one teacher-forced pass over prompt + completion (a float64
 * log-softmax written here), plain and with MTP drafts; asking for them changes no token, and not asking gets none.
 */
class SampledLogProbsTest {

    private static int[] prompt(int seed, int length, int range) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 131 + i * 37) % range + 1;
        }
        return p;
    }

    private static Collector run(ContinuousBatchingEngine engine, GenerationRequest request) throws Exception {
        Collector c = new Collector();
        engine.submit(request, c);
        assertEquals(TokenListener.FinishReason.LENGTH, c.await(), String.valueOf(c.error));
        return c;
    }

    /** log-softmax(z/τ)[token] of the teacher-forced logits that predict each completion token. */
    private static double[] teacherForced(InProcessPipeline pipeline, int[] prompt, int[] completion, double tau) {
        int[] all = new int[prompt.length + completion.length - 1];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(completion, 0, all, prompt.length, completion.length - 1);
        InProcessPipeline.StepOutput out = pipeline.step(List.of(pipeline.newSequence()), List.of(all),
                new int[] {all.length});
        int vocab = pipeline.vocab();
        double[] lp = new double[completion.length];
        for (int t = 0; t < completion.length; t++) {
            float[] z = out.logitsOf(prompt.length - 1 + t, vocab);
            double max = Double.NEGATIVE_INFINITY;
            for (float v : z) {
                max = Math.max(max, v / tau);
            }
            double sum = 0;
            for (float v : z) {
                sum += Math.exp(v / tau - max);
            }
            lp[t] = z[completion[t]] / tau - max - Math.log(sum);
        }
        return lp;
    }

    private static void assertClose(double[] expected, List<Double> actual, String what) {
        assertEquals(expected.length, actual.size(), what);
        for (int t = 0; t < expected.length; t++) {
            // float32 logits from differently batched forwards: equal to a few ulps of the logits.
            assertEquals(expected[t], actual.get(t), 2e-4, what + ", token " + t);
        }
    }

    @Test
    void recordedLogProbsAreTheTemperatureLogSoftmaxAndChangeNoToken() throws Exception {
        try (Checkpoint checkpoint = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_C));
             Parallel parallel = Parallel.create(2);
             var engine = new ContinuousBatchingEngine(InProcessPipeline.load(checkpoint, parallel),
                     new ContinuousBatchingEngine.Settings(1L << 30, 8, 5))) {
            InProcessPipeline reference = InProcessPipeline.load(checkpoint, parallel);
            for (double tau : new double[] {0.6, 1.0, 1.7}) {
                int[] p = prompt((int) (tau * 10), 11, 600);
                Collector with = run(engine, new GenerationRequest(p, 14, tau, 1, 0, 42, Set.of(), true));
                Collector without = run(engine, new GenerationRequest(p, 14, tau, 1, 0, 42, Set.of()));
                assertArrayEquals(without.ids(), with.ids(), "τ " + tau + ": the same tokens with log-probs asked for");
                assertEquals(without.usage.completionTokens(), with.usage.completionTokens());
                assertTrue(without.logProbs.isEmpty(), "no log-probs unless asked for");
                assertClose(teacherForced(reference, p, with.ids(), tau), with.logProbs, "τ " + tau);
                assertTrue(with.logProbs.stream().allMatch(v -> v < 0) && with.logProbs.stream().anyMatch(v -> v < -0.5),
                        "sampled tokens are not all near-certain: " + with.logProbs);
            }
        }
    }

    @Test
    void draftedTokensCarryTheTargetsLogProbs(@TempDir Path tmp) throws Exception {
        try (Checkpoint checkpoint = Checkpoint.open(SelfDraftingCheckpoint.write(tmp, 11));
             Parallel parallel = Parallel.create(2);
             var engine = new ContinuousBatchingEngine(InProcessPipeline.load(checkpoint, parallel),
                     new ContinuousBatchingEngine.Settings(1L << 30, 8, 64, 2))) {
            InProcessPipeline reference = InProcessPipeline.load(checkpoint, parallel);
            double tau = 0.8;
            int[] p = prompt(3, 9, 95);
            Collector with = run(engine, new GenerationRequest(p, 24, tau, 1, 0, 7, Set.of(), true));
            assertTrue(with.usage.mtp().tokens() > 0, "some drafts were accepted: " + with.usage.mtp());
            assertClose(teacherForced(reference, p, with.ids(), tau), with.logProbs, "with MTP drafts");
            assertArrayEquals(run(engine, new GenerationRequest(p, 24, tau, 1, 0, 7, Set.of())).ids(), with.ids());
        }
    }
}
