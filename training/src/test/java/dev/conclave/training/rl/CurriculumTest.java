package dev.conclave.training.rl;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CurriculumTest {

    @Test
    void passAtKHandValues() {
        assertEquals(0.1, PassAtK.estimate(10, 1, 1), 1e-15);
        assertEquals(1 - 9.0 / 45, PassAtK.estimate(10, 1, 8), 1e-15);
        assertEquals(0.7, PassAtK.estimate(5, 2, 2), 1e-15);
        assertEquals(1.0, PassAtK.estimate(10, 3, 8));
        assertEquals(0.0, PassAtK.estimate(512, 0, 8));
        assertEquals(8.0 / 512, PassAtK.estimate(512, 1, 8), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, 5, 1));
        assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, 1, 5));
    }

    @Test
    void passAtKEqualsTheSubsetCountByBruteForce() {
        int n = 10;
        for (int c = 0; c <= n; c++) {
            for (int k = 1; k <= n; k++) {
                // Samples 0..c-1 are the correct ones; count the k-subsets of 0..n-1 that contain one.
                int subsets = 0;
                int hit = 0;
                for (int mask = 0; mask < 1 << n; mask++) {
                    if (Integer.bitCount(mask) == k) {
                        subsets++;
                        hit += (mask & ((1 << c) - 1)) != 0 ? 1 : 0;
                    }
                }
                assertEquals((double) hit / subsets, PassAtK.estimate(n, c, k), 1e-12, "n " + n + " c " + c + " k " + k);
            }
        }
    }

    private static boolean[] outcomes(int n, int... correctAt) {
        boolean[] o = new boolean[n];
        for (int i : correctAt) {
            o[i] = true;
        }
        return o;
    }

    private static Curriculum estimated(Curriculum.Config config) {
        Curriculum c = new Curriculum(config, List.of("moderate-a", "moderate-b", "hard", "unsolved", "saturated", "new"), 7);
        c.estimate("moderate-a", outcomes(16, 0, 3, 12));
        c.estimate("moderate-b", outcomes(16, 7));
        c.estimate("hard", outcomes(16, 8, 15));
        c.estimate("unsolved", outcomes(16));
        boolean[] all = new boolean[16];
        Arrays.fill(all, true);
        c.estimate("saturated", all);
        return c;
    }

    @Test
    void classifiesByObservedPassAtKSmallAndFullBudget() {
        Curriculum c = estimated(Curriculum.Config.defaults());
        assertEquals(Curriculum.Stage.MODERATE, c.classify("moderate-a"));
        assertEquals(Curriculum.Stage.MODERATE, c.classify("moderate-b"));
        assertEquals(Curriculum.Stage.HARD, c.classify("hard"));
        assertNull(c.classify("unsolved"));
        assertNull(c.classify("saturated"));
        assertNull(c.classify("new"));
        assertEquals(new Curriculum.Difficulty(16, 2, 0), c.difficulty("hard"));
        assertEquals(1 - (8.0 / 16) * (7.0 / 15), c.difficulty("hard").passAt(8), 1e-12);
        assertEquals(List.of("hard"), c.pool(Curriculum.Stage.HARD));
        assertEquals("curriculum on, stage MODERATE: 6 prompts; moderate 2, hard 1, unsolved 1, saturated 1, not estimated 1",
                c.rebuild());
        Set<String> served = new HashSet<>(c.next(10));
        assertEquals(Set.of("moderate-a", "moderate-b"), served);
        assertEquals(8, c.groupSize());
    }

    @Test
    void lowerSaturationLeavesOutEasyPrompts() {
        Curriculum c = estimated(new Curriculum.Config(true, 8, 0.15, 0.5, 10, 8, 16));
        assertEquals(Curriculum.Stage.MODERATE, c.classify("moderate-b"));
        assertNull(c.classify("moderate-a"));
    }

    @Test
    void switchesToTheHardPoolWhenAllSolvedGroupsDominate() {
        Curriculum c = estimated(new Curriculum.Config(true, 8, 1.0, 0.5, 3, 8, 16));
        c.rebuild();
        // All-solved shares 0.8, 0, 0, 0.6, 0.9: window-3 averages 0.267, 0.2, 0.5.
        assertNull(c.observe(1, new GroupFilter.Stats(10, 2, 8, 0)));
        assertNull(c.observe(2, new GroupFilter.Stats(10, 9, 0, 1)));
        assertNull(c.observe(3, new GroupFilter.Stats(10, 10, 0, 0)));
        assertNull(c.observe(4, new GroupFilter.Stats(10, 4, 6, 0)));
        String decision = c.observe(5, new GroupFilter.Stats(10, 1, 9, 0));
        assertTrue(decision.contains("switching to stage 2"), decision);
        assertEquals(Curriculum.Stage.HARD, c.stage());
        assertEquals(16, c.groupSize());
        assertEquals(List.of("hard", "hard", "hard"), c.next(3));
        assertNull(c.observe(6, new GroupFilter.Stats(10, 0, 10, 0)));
    }

    @Test
    void staysInStageOneWhileTheHardPoolIsEmpty() {
        Curriculum c = new Curriculum(new Curriculum.Config(true, 8, 1.0, 0.5, 1, 8, 16), List.of("a"), 1);
        c.estimate("a", outcomes(8, 0));
        c.rebuild();
        String decision = c.observe(1, new GroupFilter.Stats(4, 0, 4, 0));
        assertTrue(decision.contains("hard pool is empty"), decision);
        assertEquals(Curriculum.Stage.MODERATE, c.stage());
    }

    @Test
    void disabledServesEveryPromptAndNeverSwitches() {
        Curriculum c = estimated(Curriculum.Config.disabled());
        c.rebuild();
        assertEquals(Set.of("moderate-a", "moderate-b", "hard", "unsolved", "saturated", "new"), new HashSet<>(c.next(6)));
        for (int step = 1; step < 30; step++) {
            assertNull(c.observe(step, new GroupFilter.Stats(4, 0, 4, 0)));
        }
    }

    @Test
    void servingOrderIsSeeded() {
        List<String> ids = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        Curriculum one = new Curriculum(Curriculum.Config.disabled(), ids, 42);
        Curriculum two = new Curriculum(Curriculum.Config.disabled(), ids, 42);
        List<String> first = one.next(20);
        assertEquals(first, two.next(20));
        assertEquals(new HashSet<>(ids), new HashSet<>(first.subList(0, 8)));
    }

    @Test
    void badInputIsNamed() {
        Curriculum c = new Curriculum(Curriculum.Config.defaults(), List.of("a"), 1);
        assertThrows(IllegalArgumentException.class, () -> c.estimate("b", outcomes(8)));
        assertThrows(IllegalArgumentException.class, () -> c.estimate("a", outcomes(4)));
        IllegalStateException empty = assertThrows(IllegalStateException.class, () -> c.next(1));
        assertTrue(empty.getMessage().contains("not estimated 1"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Curriculum(Curriculum.Config.defaults(), List.of("a", "a"), 1));
        assertThrows(IllegalArgumentException.class, () -> new Curriculum.Config(true, 0, 1, 0.5, 1, 8, 16));
    }
}
