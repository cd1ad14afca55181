package dev.conclave.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SamplerTest {

    private static final float[] LOGITS = {0.5f, -1f, 3.25f, 3f, -7f, 2f};
    private static final int ARGMAX = 2;

    /** Logits ln(0.5), ln(0.3), ln(0.2): at temperature 1 the probabilities are 0.5, 0.3, 0.2. */
    private static final float[] THREE_WAY = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};

    private static int[] draws(Sampler sampler, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = sampler.sample(logits);
        }
        return out;
    }

    private static int[] counts(Sampler sampler, float[] logits, int n) {
        int[] c = new int[logits.length];
        for (int id : draws(sampler, logits, n)) {
            c[id]++;
        }
        return c;
    }

    @Test
    void greedyPicksTheArgmax() {
        assertEquals(ARGMAX, Sampler.greedy().sample(LOGITS));
        assertEquals(ARGMAX, Sampler.argmax(LOGITS));
    }

    @Test
    void temperatureZeroIsGreedyWhateverTheOtherSettings() {
        assertEquals(ARGMAX, new Sampler(0, 3, 0.5, 42).sample(LOGITS));
    }

    @Test
    void argmaxBreaksTiesTowardsTheLowerId() {
        assertEquals(1, Sampler.argmax(new float[] {0f, 2f, 2f, 1f}));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 1, 5, 1000})
    void topKOfOneIsTheArgmaxAtAnyTemperature(double temperature) {
        Sampler sampler = new Sampler(temperature, 1, 1, 7);
        for (int id : draws(sampler, LOGITS, 200)) {
            assertEquals(ARGMAX, id);
        }
    }

    @Test
    void sameSeedGivesTheSameDraws() {
        int[] a = draws(new Sampler(1.5, 0, 1, 1234), LOGITS, 100);
        int[] b = draws(new Sampler(1.5, 0, 1, 1234), LOGITS, 100);
        assertArrayEquals(a, b);
    }

    @Test
    void differentSeedsGiveDifferentDraws() {
        int[] a = draws(new Sampler(1.5, 0, 1, 1), LOGITS, 100);
        int[] b = draws(new Sampler(1.5, 0, 1, 2), LOGITS, 100);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
    }

    /** 20 000 draws at temperature 1 land within 0.02 of 0.5 / 0.3 / 0.2 (about 4.5 standard deviations). */
    @Test
    void temperatureOneSamplesTheSoftmax() {
        int n = 20_000;
        int[] c = counts(new Sampler(1, 0, 1, 99), THREE_WAY, n);
        assertEquals(0.5, c[0] / (double) n, 0.02);
        assertEquals(0.3, c[1] / (double) n, 0.02);
        assertEquals(0.2, c[2] / (double) n, 0.02);
    }

    /** Top-k 2 renormalises over the two best: 0.5/0.8 = 0.625 and 0.3/0.8 = 0.375, never the third. */
    @Test
    void topKDropsEverythingBelowTheKBest() {
        int n = 20_000;
        int[] c = counts(new Sampler(1, 2, 1, 5), THREE_WAY, n);
        assertEquals(0, c[2]);
        assertEquals(0.625, c[0] / (double) n, 0.02);
    }

    /** Top-p 0.75: 0.5 alone is short of 0.75, 0.5 + 0.3 reaches it, so token 2 (0.2) is never drawn. */
    @Test
    void topPKeepsTheSmallestSetReachingP() {
        int[] c = counts(new Sampler(1, 0, 0.75, 5), THREE_WAY, 5_000);
        assertEquals(0, c[2]);
        assertTrue(c[0] > 0 && c[1] > 0);
    }

    /** Top-p 0.5: the best token alone reaches it. */
    @Test
    void topPReachedByTheBestTokenAloneIsGreedy() {
        int[] c = counts(new Sampler(1, 0, 0.5, 5), THREE_WAY, 1_000);
        assertEquals(1_000, c[0]);
    }

    /** A very high temperature flattens the distribution: every token of LOGITS shows up. */
    @Test
    void highTemperatureReachesEveryToken() {
        int[] c = counts(new Sampler(1000, 0, 1, 3), LOGITS, 2_000);
        for (int i = 0; i < c.length; i++) {
            assertTrue(c[i] > 0, "token " + i + " never drawn");
        }
    }

    /** The distribution speculative acceptance uses is the one sample() draws from (hand-computed values). */
    @Test
    void probabilitiesAreTheTransformedSoftmax() {
        double[] p = new double[3];
        new Sampler(1, 0, 1, 0).probabilities(THREE_WAY, p);
        assertArrayEquals(new double[] {0.5, 0.3, 0.2}, p, 1e-6);
        new Sampler(1, 2, 1, 0).probabilities(THREE_WAY, p);
        assertArrayEquals(new double[] {0.625, 0.375, 0}, p, 1e-6);
        new Sampler(1, 0, 0.75, 0).probabilities(THREE_WAY, p);
        assertArrayEquals(new double[] {0.625, 0.375, 0}, p, 1e-6);
        new Sampler(0.5, 0, 1, 0).probabilities(THREE_WAY, p);
        assertArrayEquals(new double[] {25 / 38.0, 9 / 38.0, 4 / 38.0}, p, 1e-6);
        Sampler.greedy().probabilities(THREE_WAY, p);
        assertArrayEquals(new double[] {1, 0, 0}, p, 0);
    }

    /** 20 000 draws of weights 5 : 3 : 0 : 2 land within 0.02 of 0.5 / 0.3 / 0 / 0.2. */
    @Test
    void drawFollowsUnnormalisedWeights() {
        Sampler sampler = new Sampler(1, 0, 1, 21);
        double[] weights = {5, 3, 0, 2};
        int[] c = new int[4];
        for (int i = 0; i < 20_000; i++) {
            c[sampler.draw(weights, 4)]++;
        }
        assertEquals(0, c[2]);
        assertEquals(0.5, c[0] / 20_000.0, 0.02);
        assertEquals(0.3, c[1] / 20_000.0, 0.02);
    }

    @Test
    void negativeTemperatureIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-0.1, 0, 1, 0));
    }

    @Test
    void nanTemperatureIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Double.NaN, 0, 1, 0));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, -0.5, 1.0001, Double.NaN})
    void topPOutsideZeroToOneIsRejected(double topP) {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, topP, 0));
    }

    @Test
    void negativeTopKIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, -1, 1, 0));
    }

    @Test
    void topKLargerThanTheVocabularyIsAllowed() {
        int id = new Sampler(1, 1000, 1, 0).sample(LOGITS);
        assertFalse(id < 0 || id >= LOGITS.length);
    }

    @Test
    void logProbIsTheProbabilityTheSamplerDrawsWith() {
        float[] z = {0, (float) Math.log(3), -1e4f};
        // τ 1: p = [1/4, 3/4, ~0]; τ 2: z/2 = [0, ln √3], so p_1 = √3 / (1 + √3).
        assertEquals(Math.log(0.75), new Sampler(1, 0, 1, 0).logProb(z, 1), 1e-7);
        assertEquals(Math.log(0.25), new Sampler(1, 0, 1, 0).logProb(z, 0), 1e-7);
        assertEquals(Math.log(Math.sqrt(3) / (1 + Math.sqrt(3))), new Sampler(2, 0, 1, 0).logProb(z, 1), 1e-7);
        // τ 0.5: p = [1/10, 9/10]; top-p 0.7 keeps token 1 alone, top-k 2 keeps both (renormalised).
        assertEquals(0, new Sampler(0.5, 0, 0.7, 0).logProb(z, 1), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, new Sampler(0.5, 0, 0.7, 0).logProb(z, 0));
        assertEquals(Math.log(0.1), new Sampler(0.5, 2, 1, 0).logProb(z, 0), 1e-7);
        assertEquals(0, Sampler.greedy().logProb(z, 1));
        assertEquals(Double.NEGATIVE_INFINITY, Sampler.greedy().logProb(z, 2));
        assertThrows(IllegalArgumentException.class, () -> Sampler.greedy().logProb(z, 3));
    }
}
