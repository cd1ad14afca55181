package dev.conclave.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The acceptance rule. Greedy: accept while the draft is the target's argmax. Sampling: the emitted tokens
 * must be distributed exactly as plain sampling from the target, whatever the draft model. Checked on a
 * synthetic 4-token vocabulary where target p and draft q depend on the whole prefix, with 2 chained drafts
 * per step, against the exact distribution of 3-token continuations (64 outcomes).
 */
class DraftAcceptanceTest {

    private static final int VOCAB = 4;
    private static final int LENGTH = 3;
    private static final int DRAFTS = 2;
    private static final int SAMPLES = 100_000;
    /**
     * The total-variation distance of an empirical distribution over 64 outcomes from N = 100 000 samples of
     * the true one has mean at most 0.5 · sqrt(2 / (π N)) · Σ sqrt(p_i) <= 0.5 · 0.0025 · 8 = 0.010 and a
     * standard deviation far below that; 0.025 is well clear of it. The wrong rule below lands above 0.1.
     */
    private static final double TOLERANCE = 0.025;

    // --- greedy -----------------------------------------------------------------------------------------------

    private static float[] peak(int at) {
        float[] logits = new float[VOCAB];
        logits[at] = 5;
        return logits;
    }

    @Test
    void greedyAcceptsWhileDraftsAreTheArgmaxThenEmitsTheTargetsToken() {
        int[] out = new int[DRAFTS + 2];
        float[][] target = {peak(2), peak(3), peak(1), peak(0)};
        int j = DraftAcceptance.accept(Sampler.greedy(), target, new int[] {2, 0, 1}, 3, null, new double[VOCAB], out);
        assertEquals(1, j);
        assertArrayEquals(new int[] {2, 3}, Arrays.copyOf(out, j + 1));
    }

    @Test
    void greedyWithEveryDraftAcceptedAddsTheBonusToken() {
        int[] out = new int[DRAFTS + 2];
        float[][] target = {peak(2), peak(3), peak(1), peak(0)};
        int j = DraftAcceptance.accept(Sampler.greedy(), target, new int[] {2, 3, 1}, 3, null, new double[VOCAB], out);
        assertEquals(3, j);
        assertArrayEquals(new int[] {2, 3, 1, 0}, out);
    }

    @Test
    void greedyRejectingTheFirstDraftEmitsOnlyTheTargetsToken() {
        int[] out = new int[DRAFTS + 2];
        int j = DraftAcceptance.accept(Sampler.greedy(), new float[][] {peak(1), peak(3)}, new int[] {2}, 1, null,
                new double[VOCAB], out);
        assertEquals(0, j);
        assertEquals(1, out[0]);
    }

    // --- sampling: the output distribution is the target's ------------------------------------------------

    /** Logits of a synthetic model as a function of the prefix (and which model: target or draft). */
    private static float[] logits(int[] prefix, int length, long model) {
        long key = model;
        for (int i = 0; i < length; i++) {
            key = key * 31 + prefix[i] + 1;
        }
        SplittableRandom r = new SplittableRandom(key);
        float[] l = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            l[i] = (float) (2 * r.nextGaussian());
        }
        return l;
    }

    private static final long TARGET = 1;
    private static final long DRAFT = 2;

    /** P(x_1 x_2 x_3) = Π p(x_i | x_<i), under the sampler's temperature, top-k and top-p. */
    private static double[] exact(Sampler sampler) {
        double[] out = new double[1 << (2 * LENGTH)];
        double[] p = new double[VOCAB];
        int[] x = new int[LENGTH];
        for (int cell = 0; cell < out.length; cell++) {
            double prob = 1;
            for (int i = 0; i < LENGTH; i++) {
                x[i] = (cell >> (2 * i)) & 3;
            }
            for (int i = 0; i < LENGTH; i++) {
                sampler.probabilities(logits(x, i, TARGET), p);
                prob *= p[x[i]];
            }
            out[cell] = prob;
        }
        return out;
    }

    /** One speculative step after {@code prefix}: drafts from q, verification against p; returns emitted tokens. */
    interface Rule {
        int accept(Sampler sampler, float[][] target, int[] drafts, int k, double[][] q, double[] p, int[] out);
    }

    private static double[] speculative(Sampler sampler, Rule rule) {
        double[] counts = new double[1 << (2 * LENGTH)];
        int[] seq = new int[LENGTH + DRAFTS + 1];
        int[] drafts = new int[DRAFTS];
        double[][] q = new double[DRAFTS][VOCAB];
        double[] p = new double[VOCAB];
        int[] out = new int[DRAFTS + 1];
        for (int n = 0; n < SAMPLES; n++) {
            int have = 0;
            while (have < LENGTH) {
                for (int d = 0; d < DRAFTS; d++) {
                    seq[have + d] = 0;
                    sampler.probabilities(logits(seq, have + d, DRAFT), q[d]);
                    drafts[d] = sampler.draw(q[d], VOCAB);
                    seq[have + d] = drafts[d];
                }
                float[][] target = new float[DRAFTS + 1][];
                for (int j = 0; j <= DRAFTS; j++) {
                    target[j] = logits(seq, have + j, TARGET);
                }
                int j = rule.accept(sampler, target, drafts, DRAFTS, q, p, out);
                for (int i = 0; i <= j; i++) {
                    seq[have++] = out[i];
                }
            }
            int cell = 0;
            for (int i = 0; i < LENGTH; i++) {
                cell |= seq[i] << (2 * i);
            }
            counts[cell]++;
        }
        for (int c = 0; c < counts.length; c++) {
            counts[c] /= SAMPLES;
        }
        return counts;
    }

    private static double totalVariation(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += Math.abs(a[i] - b[i]);
        }
        return d / 2;
    }

    /**
     * The rule without the residual: on rejection it samples the target p itself. It over-weights the tokens
     * the draft favours, so its output is not the target's.
     */
    private static int acceptWithoutResidual(Sampler sampler, float[][] target, int[] drafts, int k, double[][] q,
                                             double[] p, int[] out) {
        for (int j = 0; j < k; j++) {
            sampler.probabilities(target[j], p);
            if (sampler.uniform() < p[drafts[j]] / q[j][drafts[j]]) {
                out[j] = drafts[j];
                continue;
            }
            out[j] = sampler.draw(p, p.length);
            return j;
        }
        sampler.probabilities(target[k], p);
        out[k] = sampler.draw(p, p.length);
        return k;
    }

    @ParameterizedTest
    @CsvSource({"1.0, 0, 1.0", "0.7, 3, 1.0", "1.3, 0, 0.8"})
    void speculativeSamplingEmitsTheTargetDistribution(double temperature, int topK, double topP) {
        double[] truth = exact(new Sampler(temperature, topK, topP, 0));
        double tv = totalVariation(truth, speculative(new Sampler(temperature, topK, topP, 12345), DraftAcceptance::accept));
        assertTrue(tv < TOLERANCE, "total variation from the target " + tv + " >= " + TOLERANCE);

        double wrong = totalVariation(truth, speculative(new Sampler(temperature, topK, topP, 12345),
                DraftAcceptanceTest::acceptWithoutResidual));
        assertTrue(wrong > 4 * TOLERANCE, "the test must tell the residual rule from a wrong one: " + wrong);
    }
}
