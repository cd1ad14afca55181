package dev.conclave.training.rl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdvantagesTest {

    private static final double[] ONE_OF_EIGHT = {1, 0, 0, 0, 0, 0, 0, 0};

    @Test
    void oneCorrectOfEightWithStdNormMatchesSpec() {
        // Spec §1.12: σ = sqrt(0.875 / 7) = 0.3536, A = [2.475, −0.354 × 7].
        double[] a = Advantages.groupRelative(ONE_OF_EIGHT, true);
        assertEquals(0.35355339, Advantages.std(ONE_OF_EIGHT), 1e-8);
        assertEquals(2.475, a[0], 1e-3);
        for (int i = 1; i < 8; i++) {
            assertEquals(-0.354, a[i], 1e-3);
        }
        assertEquals(0.875 / (Math.sqrt(0.125) + 1e-6), a[0], 1e-12);
    }

    @Test
    void oneCorrectOfEightMeanOnlyMatchesSpec() {
        assertArrayEquals(new double[] {0.875, -0.125, -0.125, -0.125, -0.125, -0.125, -0.125, -0.125},
                Advantages.groupRelative(ONE_OF_EIGHT, false), 1e-15);
    }

    @Test
    void binaryClosedFormOfSpec() {
        // A_correct = (1 − p)/σ, A_wrong = −p/σ with σ = sqrt(K p (1 − p)/(K − 1)); K = 8, 3 correct.
        double[] rewards = {1, 0, 1, 0, 0, 1, 0, 0};
        double p = 3.0 / 8;
        double sigma = Math.sqrt(8 * p * (1 - p) / 7);
        double[] a = Advantages.groupRelative(rewards, true);
        assertEquals((1 - p) / (sigma + 1e-6), a[0], 1e-12);
        assertEquals(-p / (sigma + 1e-6), a[1], 1e-12);
    }

    @Test
    void constantGroupsHaveZeroAdvantageAndAreFiltered() {
        assertArrayEquals(new double[4], Advantages.groupRelative(new double[] {1, 1, 1, 1}, true));
        assertArrayEquals(new double[1], Advantages.groupRelative(new double[] {1}, true));
        assertFalse(GroupFilter.keeps(new double[] {0, 0, 0}));
        assertFalse(GroupFilter.keeps(new double[] {1}));
        assertFalse(GroupFilter.keeps(new double[] {0.5, 0.5 + 1e-7}));
        assertTrue(GroupFilter.keeps(new double[] {0, 0, 1}));
        assertThrows(IllegalArgumentException.class, () -> Advantages.groupRelative(new double[0], true));
    }

    @Test
    void filterCountsKeptSolvedAndFailedGroups() {
        GroupFilter filter = new GroupFilter();
        assertTrue(filter.offer(new double[] {1, 0, 0, 1}));
        assertFalse(filter.offer(new double[] {1, 1, 1, 1}));
        assertFalse(filter.offer(new double[] {1, 1, 1, 1}));
        assertFalse(filter.offer(new double[] {0, 0, 0, 0}));
        assertFalse(filter.offer(new double[] {0.5, 0.5, 0.5, 0.5}));
        GroupFilter.Stats stats = filter.stats();
        assertEquals(new GroupFilter.Stats(5, 1, 2, 1), stats);
        assertEquals(0.2, stats.keptFraction(), 1e-15);
        assertEquals(0.8, stats.dropRate(), 1e-15);
        assertEquals(0.4, stats.allSolvedFraction(), 1e-15);
        filter.reset();
        assertEquals(new GroupFilter.Stats(0, 0, 0, 0), filter.stats());
        assertEquals(0, filter.stats().dropRate());
    }
}
