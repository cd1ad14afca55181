package dev.conclave.training.rl;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AggregationTest {

    @Test
    void handComputedWeights() {
        int[] lengths = {2, 4, 0};
        assertArrayEquals(new double[] {1.0 / 6, 1.0 / 6, 0}, Aggregation.TOKEN_MEAN.weights(lengths, 8), 1e-15);
        assertArrayEquals(new double[] {1.0 / 4, 1.0 / 8, 0}, Aggregation.SEQUENCE_MEAN.weights(lengths, 8), 1e-15);
        assertArrayEquals(new double[] {1.0 / 16, 1.0 / 16, 0}, Aggregation.CONSTANT.weights(lengths, 8), 1e-15);
    }

    @Test
    void doublingOneResponseChangesItsRelativeWeightOnlyUnderSequenceMean() {
        double[] shortPair = Aggregation.SEQUENCE_MEAN.weights(new int[] {3, 3}, 0);
        double[] longPair = Aggregation.SEQUENCE_MEAN.weights(new int[] {6, 3}, 0);
        assertEquals(1.0, shortPair[0] / shortPair[1], 1e-15);
        assertEquals(0.5, longPair[0] / longPair[1], 1e-15);
        double[] tokenShort = Aggregation.TOKEN_MEAN.weights(new int[] {3, 3}, 0);
        double[] tokenLong = Aggregation.TOKEN_MEAN.weights(new int[] {6, 3}, 0);
        assertEquals(1.0, tokenShort[0] / tokenShort[1], 1e-15);
        assertEquals(1.0, tokenLong[0] / tokenLong[1], 1e-15);
    }

    @Test
    void microBatchSplitDoesNotChangeTheStepLossOrGradient() {
        SplittableRandom rng = new SplittableRandom(5);
        int vocab = 6;
        int[] lengths = {4, 7, 2, 5};
        double tau = 0.9;
        PolicyLoss loss = PolicyLoss.defaults();
        double[][] logits = new double[4][];
        int[][] ids = new int[4][];
        double[][] old = new double[4][];
        boolean[][] mask = new boolean[4][];
        int[] lossTokens = new int[4];
        double[] advantages = {1.2, -0.4, 0.3, -1.1};
        for (int s = 0; s < 4; s++) {
            int t = lengths[s];
            logits[s] = new double[t * vocab];
            ids[s] = new int[t];
            old[s] = new double[t];
            mask[s] = new boolean[t];
            for (int i = 0; i < t * vocab; i++) {
                logits[s][i] = rng.nextGaussian();
            }
            for (int i = 0; i < t; i++) {
                ids[s][i] = rng.nextInt(vocab);
                old[s][i] = PolicyLoss.logProb(logits[s], i * vocab, vocab, tau, ids[s][i]) + 0.3 * rng.nextGaussian();
                mask[s][i] = i > 0;
            }
            lossTokens[s] = Aggregation.lossTokens(mask[s]);
        }
        double[] w = Aggregation.TOKEN_MEAN.weights(lossTokens, 0);
        PolicyMetrics whole = new PolicyMetrics();
        double[][] dWhole = new double[4][];
        for (int s = 0; s < 4; s++) {
            dWhole[s] = new double[logits[s].length];
            loss.sequence(logits[s], vocab, tau, ids[s], old[s], mask[s], advantages[s], w[s], dWhole[s], whole);
        }
        PolicyMetrics first = new PolicyMetrics();
        PolicyMetrics second = new PolicyMetrics();
        for (int s = 0; s < 4; s++) {
            double[] d = new double[logits[s].length];
            loss.sequence(logits[s], vocab, tau, ids[s], old[s], mask[s], advantages[s], w[s], d, s < 2 ? first : second);
            assertArrayEquals(dWhole[s], d, 0);
        }
        first.merge(second);
        assertEquals(whole.loss(), first.loss(), 1e-15);
        assertEquals(whole.tokens(), first.tokens());
        assertEquals(14, whole.tokens());
    }

    @Test
    void parseAndErrors() {
        assertEquals(Aggregation.TOKEN_MEAN, Aggregation.parse("token-mean"));
        assertEquals(Aggregation.SEQUENCE_MEAN, Aggregation.parse("Sequence_Mean"));
        assertEquals(Aggregation.CONSTANT, Aggregation.parse("constant"));
        assertThrows(IllegalArgumentException.class, () -> Aggregation.parse("bnpo"));
        assertThrows(IllegalArgumentException.class, () -> Aggregation.CONSTANT.weights(new int[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> Aggregation.TOKEN_MEAN.weights(new int[] {-1}, 0));
    }
}
