package dev.conclave.training.rl;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyLossTest {

    private static final PolicyLoss LOSS = PolicyLoss.defaults();

    /** softmax(z/τ), written out independently of the code under test. */
    private static double[] softmax(double[] z, double tau) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double[] p = new double[z.length];
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp((z[i] - max) / tau);
            sum += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    @Test
    void logProbIsLogSoftmaxAtTheSamplingTemperature() {
        double[] z = {1, 2, 3};
        // z/2 = [0.5, 1, 1.5]; log-sum-exp = 1.5 + log(1 + e^-0.5 + e^-1).
        double lse = 1.5 + Math.log(1 + Math.exp(-0.5) + Math.exp(-1));
        assertEquals(0.5 - lse, PolicyLoss.logProb(z, 0, 3, 2.0, 0), 1e-15);
        assertEquals(Math.log(softmax(z, 0.7)[2]), PolicyLoss.logProb(z, 0, 3, 0.7, 2), 1e-14);
        double[] padded = {9, 9, 1, 2, 3};
        assertEquals(0.5 - lse, PolicyLoss.logProb(padded, 2, 3, 2.0, 0), 1e-15);
    }

    @Test
    void ratioAboveClipWithPositiveAdvantageHasZeroGradient() {
        // Spec §1.12: ρ = 1.5, A = +1, ε_high = 0.28 → clipped branch, ℓ = −1.28, no gradient.
        double[] z = {0.3, -0.2, 1.1};
        double old = PolicyLoss.logProb(z, 0, 3, 1.0, 1) - Math.log(1.5);
        double[] d = new double[3];
        PolicyMetrics m = new PolicyMetrics();
        double loss = LOSS.token(z, 0, 3, 1.0, 1, old, 1.0, 1.0, d, 0, m);
        assertEquals(-1.28, loss, 1e-12);
        assertArrayEquals(new double[3], d, 0);
        assertEquals(1.0, m.clipFraction());
        assertEquals(1.5, m.meanRatio(), 1e-12);
    }

    @Test
    void ratioAboveClipWithNegativeAdvantageKeepsTheRatioGradient() {
        // ρ = 1.5, A = −1: min(−1.5, −1.28) = −1.5 is the unclipped branch, ∂ℓ/∂log π = −A·ρ = 1.5.
        double[] z = {0.3, -0.2, 1.1};
        double tau = 0.8;
        double old = PolicyLoss.logProb(z, 0, 3, tau, 1) - Math.log(1.5);
        double[] d = new double[3];
        PolicyMetrics m = new PolicyMetrics();
        double loss = LOSS.token(z, 0, 3, tau, 1, old, -1.0, 1.0, d, 0, m);
        assertEquals(1.5, loss, 1e-12);
        double[] p = softmax(z, tau);
        for (int v = 0; v < 3; v++) {
            assertEquals(1.5 / tau * ((v == 1 ? 1 : 0) - p[v]), d[v], 1e-12);
        }
        assertEquals(0.0, m.clipFraction());
    }

    @Test
    void ratioBelowClipWithNegativeAdvantageIsClipped() {
        double[] z = {0.3, -0.2, 1.1};
        double old = PolicyLoss.logProb(z, 0, 3, 1.0, 2) - Math.log(0.5);
        double[] d = new double[3];
        PolicyMetrics m = new PolicyMetrics();
        assertEquals(0.8 * 2, LOSS.token(z, 0, 3, 1.0, 2, old, -2.0, 1.0, d, 0, m), 1e-12);
        assertArrayEquals(new double[3], d, 0);
        assertEquals(1.0, m.clipFraction());
        // Same ratio, positive advantage: unclipped branch (0.5 < 1.28), ℓ = −0.5·A.
        assertEquals(-1.0, LOSS.token(z, 0, 3, 1.0, 2, old, 2.0, 1.0, d, 0, new PolicyMetrics()), 1e-12);
        assertTrue(Math.abs(d[2]) > 0.1);
    }

    @Test
    void recordedOldLogProbsGiveTheHandComputedRatiosAndClips() {
        // Two-token vocabulary, z = [0, ln 3]: at τ 1 p = [1/4, 3/4]. Three positions with the same logits and the
        // sampler's log-probs as π_old: token 1 recorded at ln 0.5 (ρ 1.5), token 0 at ln 0.25 (ρ 1), token 0 at
        // ln 0.4 (ρ 0.625); token-mean weight 1/3.
        double[] logits = {0, Math.log(3), 0, Math.log(3), 0, Math.log(3)};
        int[] ids = {1, 0, 0};
        double[] old = {Math.log(0.5), Math.log(0.25), Math.log(0.4)};
        boolean[] mask = {true, true, true};
        double[] d = new double[6];
        PolicyMetrics up = new PolicyMetrics();
        // A = +1: ρ 1.5 > 1.28 is clipped (−1.28, no gradient); ρ 1 gives −1; ρ 0.625 is unclipped, −0.625.
        assertEquals((-1.28 - 1 - 0.625) / 3, LOSS.sequence(logits, 2, 1.0, ids, old, mask, 1.0, 1.0 / 3, d, up), 1e-12);
        assertEquals(1.0 / 3, up.clipFraction(), 1e-15);
        assertEquals((1.5 + 1 + 0.625) / 3, up.meanRatio(), 1e-12);
        assertEquals(0.625, up.minRatio(), 1e-12);
        assertEquals(1.5, up.maxRatio(), 1e-12);
        assertArrayEquals(new double[2], Arrays.copyOfRange(d, 0, 2), 0);
        // ρ 0.625 at A = +1: ∂ℓ/∂z = −(w·A·ρ/τ)(onehot(0) − p) = −(0.625/3)·[3/4, −3/4].
        assertEquals(-0.625 / 3 * 0.75, d[4], 1e-12);
        assertEquals(0.625 / 3 * 0.75, d[5], 1e-12);
        PolicyMetrics down = new PolicyMetrics();
        // A = −1: ρ 1.5 is unclipped (+1.5); ρ 1 gives +1; ρ 0.625 < 0.8 is clipped (+0.8, no gradient).
        assertEquals((1.5 + 1 + 0.8) / 3, LOSS.sequence(logits, 2, 1.0, ids, old, mask, -1.0, 1.0 / 3, d, down), 1e-12);
        assertEquals(1.0 / 3, down.clipFraction(), 1e-15);
        assertArrayEquals(new double[2], Arrays.copyOfRange(d, 4, 6), 0);
        // τ 2: z/τ = [0, ln √3], p_1 = √3/(1 + √3) ≈ 0.634; recorded ln 0.5 gives ρ ≈ 1.268, just inside 1.28.
        PolicyMetrics warm = new PolicyMetrics();
        double rho = Math.sqrt(3) / (1 + Math.sqrt(3)) / 0.5;
        assertEquals(-rho, LOSS.token(logits, 0, 2, 2.0, 1, Math.log(0.5), 1.0, 1.0, d, 0, warm), 1e-12);
        assertEquals(0.0, warm.clipFraction());
        assertEquals(rho, warm.meanRatio(), 1e-12);
    }

    @Test
    void onPolicyGradientIsReinforceWithBaseline() {
        // ρ ≡ 1: ∂L/∂z = −A/|M| · (onehot(y) − p)/τ for every loss token (spec §1.12, first case).
        SplittableRandom rng = new SplittableRandom(3);
        int vocab = 7;
        int t = 5;
        double tau = 1.3;
        double[] logits = new double[t * vocab];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = rng.nextGaussian() * 2;
        }
        int[] ids = new int[t];
        double[] old = new double[t];
        boolean[] mask = {false, true, true, false, true};
        for (int i = 0; i < t; i++) {
            ids[i] = rng.nextInt(vocab);
            old[i] = PolicyLoss.logProb(logits, i * vocab, vocab, tau, ids[i]);
        }
        double advantage = -0.7;
        double w = Aggregation.TOKEN_MEAN.weights(new int[] {Aggregation.lossTokens(mask)}, 0)[0];
        assertEquals(1.0 / 3, w, 1e-15);
        double[] d = new double[t * vocab];
        Arrays.fill(d, 42);
        PolicyMetrics m = new PolicyMetrics();
        double loss = LOSS.sequence(logits, vocab, tau, ids, old, mask, advantage, w, d, m);
        assertEquals(-advantage, loss, 1e-12);
        for (int i = 0; i < t; i++) {
            double[] row = Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab);
            double[] p = softmax(row, tau);
            for (int v = 0; v < vocab; v++) {
                double expected = mask[i] ? -advantage * w * ((v == ids[i] ? 1 : 0) - p[v]) / tau : 0;
                assertEquals(expected, d[i * vocab + v], 1e-14, "position " + i + " vocab " + v);
            }
        }
        assertEquals(3, m.tokens());
        assertEquals(1.0, m.meanRatio(), 1e-12);
        assertEquals(0.0, m.meanAbsLogRatio(), 1e-12);
    }

    /** Central finite differences of Σ token losses with respect to every logit, in float64. */
    private static void checkGradient(int vocab, double tau, double ratio, double advantage, double weight, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] z = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            z[v] = rng.nextGaussian();
        }
        int id = rng.nextInt(vocab);
        double old = PolicyLoss.logProb(z, 0, vocab, tau, id) - Math.log(ratio);
        double[] d = new double[vocab];
        LOSS.token(z, 0, vocab, tau, id, old, advantage, weight, d, 0, new PolicyMetrics());
        double h = 1e-6;
        double[] scratch = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            double keep = z[v];
            z[v] = keep + h;
            double plus = LOSS.token(z, 0, vocab, tau, id, old, advantage, weight, scratch, 0, new PolicyMetrics());
            z[v] = keep - h;
            double minus = LOSS.token(z, 0, vocab, tau, id, old, advantage, weight, scratch, 0, new PolicyMetrics());
            z[v] = keep;
            double numeric = (plus - minus) / (2 * h);
            double scale = Math.max(1e-3, Math.abs(numeric));
            assertEquals(numeric, d[v], 1e-6 * scale + 1e-10,
                    "vocab " + v + " of " + vocab + ", τ " + tau + ", ρ " + ratio + ", A " + advantage);
        }
    }

    @Test
    void gradientMatchesFiniteDifferencesOnTwoTokenVocabulary() {
        for (double ratio : new double[] {0.5, 0.9, 1.0, 1.2, 1.5}) {
            for (double advantage : new double[] {-1.3, 0.8}) {
                checkGradient(2, 1.0, ratio, advantage, 1.0, 11);
                checkGradient(2, 0.6, ratio, advantage, 0.25, 12);
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferencesOnLargerVocabulary() {
        for (double ratio : new double[] {0.6, 1.0, 1.1, 1.4}) {
            for (double advantage : new double[] {-2.0, 0.5}) {
                checkGradient(9, 1.4, ratio, advantage, 0.1, 21);
            }
        }
    }

    @Test
    void stalenessBeyondTheClampGivesAFiniteLossAndNoGradient() {
        double[] z = {0.0, 1.0};
        double old = PolicyLoss.logProb(z, 0, 2, 1.0, 0) - 25;
        double[] d = new double[2];
        PolicyMetrics m = new PolicyMetrics();
        double loss = LOSS.token(z, 0, 2, 1.0, 0, old, -1.0, 1.0, d, 0, m);
        assertEquals(Math.exp(20), loss, 1e-6 * Math.exp(20));
        assertArrayEquals(new double[2], d, 0);
        assertEquals(25, m.meanAbsLogRatio(), 1e-9);
    }

    @Test
    void metricsMergeAndEntropyAtTemperature() {
        double[] z = {0.0, 0.0, 0.0, 0.0};
        double[] d = new double[4];
        PolicyMetrics a = new PolicyMetrics();
        double logQuarter = Math.log(0.25);
        LOSS.token(z, 0, 4, 1.0, 0, logQuarter - Math.log(1.5), 1.0, 0.5, d, 0, a);
        PolicyMetrics b = new PolicyMetrics();
        LOSS.token(z, 0, 4, 1.0, 1, logQuarter, 1.0, 0.5, d, 0, b);
        a.merge(b);
        assertEquals(2, a.tokens());
        assertEquals(0.5, a.clipFraction());
        assertEquals(-0.5 * 1.28 - 0.5, a.loss(), 1e-12);
        assertEquals(1.25, a.meanRatio(), 1e-12);
        assertEquals(1.0, a.minRatio(), 1e-12);
        assertEquals(1.5, a.maxRatio(), 1e-12);
        assertEquals(Math.log(4), a.meanEntropy(), 1e-12);
    }

    @Test
    void badInputIsNamed() {
        double[] z = {0, 1};
        double[] d = new double[2];
        PolicyMetrics m = new PolicyMetrics();
        assertThrows(IllegalArgumentException.class, () -> LOSS.token(z, 0, 2, 0.0, 0, 0, 1, 1, d, 0, m));
        assertThrows(IllegalArgumentException.class, () -> LOSS.token(z, 0, 2, 1.0, 2, 0, 1, 1, d, 0, m));
        assertThrows(IllegalArgumentException.class, () -> PolicyLoss.logProb(z, 1, 2, 1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PolicyLoss(1.0, 0.2));
        assertThrows(IllegalArgumentException.class, () -> LOSS.sequence(z, 2, 1.0, new int[] {0}, new double[2],
                new boolean[] {true}, 1, 1, d, m));
    }
}
