package dev.conclave.training.loop;

import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.serving.ContinuousBatchingEngine;
import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Generation for training through the serving path: every prompt's samples are submitted together to a
 * {@link ContinuousBatchingEngine} over the published weights, so rollouts and evaluations batch exactly as
 * served requests do. Each completion carries the weight version that generated it and, when asked for, the
 * log-prob the sampler drew each token with (training spec §1.1 step 2, §2.4 invariant 1).
 */
public final class Rollouts {

    /**
     * One generated response: the prompt it answers, its tokens (the stop token included when it stopped), the
     * sampler's log-prob of each token at the sampling temperature (null unless asked for) and the version of the
     * weights that generated it.
     */
    public record Completion(int prompt, int[] tokens, double[] logProbs, boolean stopped, long version) {
    }

    private Rollouts() {}

    /**
     * {@code samples} responses to each prompt at {@code temperature} (0: greedy), at most {@code maxNewTokens}
     * each, by the weights of {@code version} loaded in {@code pipeline}; sample j of prompt i is seeded
     * {@code seed + i * samples + j}; with {@code logProbs} each token's sampled log-prob is recorded (top-p 1,
     * top-k off: log-softmax(z/τ) over the whole vocabulary). Results are grouped by prompt.
     */
    public static List<Completion> generate(InProcessPipeline pipeline, long version, List<int[]> prompts, int samples,
                                            double temperature, int maxNewTokens, Set<Integer> stopIds, long seed,
                                            boolean logProbs) {
        int total = prompts.size() * samples;
        long kvBudget = 1L << 40;
        try (ContinuousBatchingEngine engine = new ContinuousBatchingEngine(pipeline,
                new ContinuousBatchingEngine.Settings(kvBudget, Math.max(1, total), 8192))) {
            Collector[] results = new Collector[total];
            CountDownLatch done = new CountDownLatch(total);
            for (int i = 0; i < prompts.size(); i++) {
                for (int j = 0; j < samples; j++) {
                    int k = i * samples + j;
                    results[k] = new Collector(done, logProbs);
                    engine.submit(new GenerationRequest(prompts.get(i), maxNewTokens, temperature, 1.0, 0, seed + k,
                            stopIds, logProbs), results[k]);
                }
            }
            try {
                if (!done.await(10, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("rollouts did not finish within 10 minutes");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while generating rollouts", e);
            }
            List<Completion> out = new ArrayList<>(total);
            for (int k = 0; k < total; k++) {
                Collector c = results[k];
                if (c.error != null) {
                    throw new IllegalStateException("rollout " + k + " failed: " + c.error);
                }
                out.add(new Completion(k / samples, c.tokens(), c.logProbs(), c.reason == TokenListener.FinishReason.STOP,
                        version));
            }
            return out;
        }
    }

    private static final class Collector implements TokenListener {
        private final CountDownLatch done;
        private int[] ids = new int[16];
        private double[] logProbs;
        private int count;
        private volatile FinishReason reason;
        private volatile String error;

        Collector(CountDownLatch done, boolean logProbs) {
            this.done = done;
            this.logProbs = logProbs ? new double[16] : null;
        }

        @Override
        public void onToken(int id) {
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, 2 * count);
            }
            ids[count++] = id;
        }

        @Override
        public void onToken(int id, double logProb) {
            if (count == logProbs.length) {
                logProbs = Arrays.copyOf(logProbs, 2 * count);
            }
            logProbs[count] = logProb;
            onToken(id);
        }

        @Override
        public void onFinish(FinishReason reason, Usage usage) {
            this.reason = reason;
            done.countDown();
        }

        @Override
        public void onError(String message) {
            this.error = message;
            done.countDown();
        }

        int[] tokens() {
            return Arrays.copyOf(ids, count);
        }

        double[] logProbs() {
            return logProbs == null ? null : Arrays.copyOf(logProbs, count);
        }
    }
}
