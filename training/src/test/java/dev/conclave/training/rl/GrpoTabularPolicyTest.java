package dev.conclave.training.rl;

import dev.conclave.training.tasks.Addition;
import dev.conclave.training.tasks.Problem;
import dev.conclave.training.tasks.Split;
import dev.conclave.training.tasks.TaskFiles;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GRPO pieces wired together on a policy with no model in it: per carry-bug problem a row of logits over
 * four candidate answers, started where SFT on the flawed teacher leaves a model (the dropped-carry answer
 * most likely on carry problems). Sampling, the verifier, the group filter, the advantages, the step weights
 * and the policy gradient then have to lift greedy accuracy from the teacher's level to ~1, as spec §6.3 A
 * expects of the real model; the same loop with the advantage sign flipped must make it worse.
 */
class GrpoTabularPolicyTest {
    private static final int CANDIDATES = 4;
    private static final int K = 8;

    private record Setup(List<Problem> problems, String[][] candidates, double[] logits) {
    }

    private static String written(int sum) {
        return new StringBuilder(String.format("%03d", Math.floorMod(sum, 1000))).reverse().toString();
    }

    private static Setup setup() {
        List<Problem> problems = TaskFiles.draw(Addition.carryBug(), 40, 17, Split.ALL);
        String[][] candidates = new String[problems.size()][];
        double[] logits = new double[problems.size() * CANDIDATES];
        for (int i = 0; i < problems.size(); i++) {
            String q = problems.get(i).question();
            int sum = Integer.parseInt(q.substring(0, 2)) + Integer.parseInt(q.substring(3, 5));
            boolean carry = (q.charAt(1) - '0') + (q.charAt(4) - '0') >= 10;
            candidates[i] = new String[] {written(sum), written(sum - 10), written(sum + 1), written(sum + 100)};
            double[] p = carry ? new double[] {0.38, 0.58, 0.02, 0.02} : new double[] {0.94, 0.02, 0.02, 0.02};
            for (int c = 0; c < CANDIDATES; c++) {
                logits[i * CANDIDATES + c] = Math.log(p[c]);
            }
        }
        return new Setup(problems, candidates, logits);
    }

    private static double greedyAccuracy(Setup s, Verifier verifier) {
        int right = 0;
        for (int i = 0; i < s.problems().size(); i++) {
            int best = 0;
            for (int c = 1; c < CANDIDATES; c++) {
                best = s.logits()[i * CANDIDATES + c] > s.logits()[i * CANDIDATES + best] ? c : best;
            }
            right += verifier.score("\n<think></think>\n" + s.candidates()[i][best], s.problems().get(i).answer()) > 0 ? 1 : 0;
        }
        return (double) right / s.problems().size();
    }

    private static double train(Setup s, double advantageSign, int steps) {
        Verifier verifier = Verifiers.standard().get("exact_match");
        PolicyLoss loss = PolicyLoss.defaults();
        SplittableRandom random = new SplittableRandom(5);
        double tau = 1.0;
        double lr = 30;
        int n = s.problems().size();
        for (int step = 0; step < steps; step++) {
            int[][] sampled = new int[n][K];
            List<double[]> rewards = new ArrayList<>();
            List<int[]> tokens = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double[] r = new double[K];
                for (int k = 0; k < K; k++) {
                    sampled[i][k] = sample(s.logits(), i * CANDIDATES, tau, random);
                    r[k] = verifier.score("\n<think></think>\n" + s.candidates()[i][sampled[i][k]], s.problems().get(i).answer());
                }
                rewards.add(r);
                tokens.add(new int[] {1, 1, 1, 1, 1, 1, 1, 1});
            }
            GrpoBatch batch = GrpoBatch.of(rewards, tokens, true, Aggregation.TOKEN_MEAN, 0);
            double[] grad = new double[s.logits().length];
            double[] d = new double[CANDIDATES];
            PolicyMetrics metrics = new PolicyMetrics();
            for (GrpoBatch.Group g : batch.kept()) {
                int row = g.index() * CANDIDATES;
                for (int k = 0; k < K; k++) {
                    // On-policy: π_old is the current table, so ρ = 1.
                    double old = PolicyLoss.logProb(s.logits(), row, CANDIDATES, tau, sampled[g.index()][k]);
                    loss.token(s.logits(), row, CANDIDATES, tau, sampled[g.index()][k], old,
                            advantageSign * g.advantages()[k], g.weights()[k], d, 0, metrics);
                    for (int c = 0; c < CANDIDATES; c++) {
                        grad[row + c] += d[c];
                    }
                }
            }
            assertEquals(0.0, metrics.clipFraction());
            for (int j = 0; j < grad.length; j++) {
                s.logits()[j] -= lr * grad[j];
            }
        }
        return greedyAccuracy(s, verifier);
    }

    private static int sample(double[] logits, int row, double tau, SplittableRandom random) {
        double u = random.nextDouble();
        double cumulative = 0;
        for (int c = 0; c < CANDIDATES; c++) {
            cumulative += Math.exp(PolicyLoss.logProb(logits, row, CANDIDATES, tau, c));
            if (u < cumulative) {
                return c;
            }
        }
        return CANDIDATES - 1;
    }

    @Test
    void grpoLiftsTheFlawedTeachersPolicyAndTheWrongSignDoesNot() {
        Verifier verifier = Verifiers.standard().get("exact_match");
        double before = greedyAccuracy(setup(), verifier);
        assertTrue(before < 0.75, "start at the teacher's level, got " + before);
        double after = train(setup(), 1, 40);
        double reversed = train(setup(), -1, 40);
        System.out.printf("tabular GRPO on carry-bug addition: greedy %.3f -> %.3f (sign flipped: %.3f)%n",
                before, after, reversed);
        assertTrue(after >= 0.95, "greedy accuracy after GRPO " + after);
        assertTrue(reversed <= before, "flipped advantages should not help, got " + reversed);
    }
}
