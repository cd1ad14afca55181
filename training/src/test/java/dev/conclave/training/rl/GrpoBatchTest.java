package dev.conclave.training.rl;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrpoBatchTest {

    @Test
    void dropsConstantGroupsAndWeighsOverTheKeptOnes() {
        List<double[]> rewards = List.of(new double[] {1, 0, 0, 0}, new double[] {1, 1, 1, 1}, new double[] {0, 1});
        List<int[]> tokens = List.of(new int[] {2, 3, 4, 5}, new int[] {9, 9, 9, 9}, new int[] {6, 6});
        GrpoBatch batch = GrpoBatch.of(rewards, tokens, false, Aggregation.TOKEN_MEAN, 0);
        assertEquals(2, batch.kept().size());
        assertEquals(new GroupFilter.Stats(3, 2, 1, 0), batch.filter());
        // All ten responses count for the rollout metrics: 7 of 10 rewards are 1, 62 tokens.
        assertEquals(0.6, batch.meanReward(), 1e-15);
        assertEquals(6.2, batch.meanLossTokens(), 1e-15);
        GrpoBatch.Group first = batch.kept().get(0);
        assertEquals(0, first.index());
        assertArrayEquals(new double[] {0.75, -0.25, -0.25, -0.25}, first.advantages(), 1e-15);
        // Token-mean over the 14 + 12 kept tokens, not over the dropped group's 36.
        for (double w : first.weights()) {
            assertEquals(1.0 / 26, w, 1e-15);
        }
        GrpoBatch.Group second = batch.kept().get(1);
        assertEquals(2, second.index());
        assertArrayEquals(new double[] {-0.5, 0.5}, second.advantages(), 1e-15);

        GrpoBatch sequence = GrpoBatch.of(rewards, tokens, true, Aggregation.SEQUENCE_MEAN, 0);
        assertArrayEquals(new double[] {1.0 / 12, 1.0 / 18, 1.0 / 24, 1.0 / 30}, sequence.kept().get(0).weights(), 1e-15);
        assertArrayEquals(new double[] {1.0 / 36, 1.0 / 36}, sequence.kept().get(1).weights(), 1e-15);
        assertEquals(0.75 / (0.5 + 1e-6), sequence.kept().get(0).advantages()[0], 1e-12);
    }

    @Test
    void everyGroupDroppedLeavesAnEmptyStep() {
        GrpoBatch batch = GrpoBatch.of(List.of(new double[] {0, 0}), List.of(new int[] {3, 4}), true,
                Aggregation.TOKEN_MEAN, 0);
        assertTrue(batch.kept().isEmpty());
        assertEquals(1.0, batch.filter().dropRate());
    }

    @Test
    void mismatchedShapesAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> GrpoBatch.of(List.of(new double[] {0, 1}), List.of(),
                true, Aggregation.TOKEN_MEAN, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GrpoBatch.of(
                List.of(new double[] {0, 1}), List.of(new int[] {1}), true, Aggregation.TOKEN_MEAN, 0));
        assertTrue(e.getMessage().startsWith("group 0"), e.getMessage());
    }
}
