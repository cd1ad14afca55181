package dev.conclave.router;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The per-expert grouping of a plan, checked on a hand-made 3-token, top-2, 4-expert example:
 * <pre>
 *   token 0 → slots (expert 2, expert 0)     assignments 0, 1
 *   token 1 → slots (expert 0, expert 3)     assignments 2, 3
 *   token 2 → slots (expert 2, expert 0)     assignments 4, 5
 * </pre>
 * Grouped by expert, in token order: expert 0 ← tokens 0, 1, 2 (assignments 1, 2, 5); expert 1 ← none;
 * expert 2 ← tokens 0, 2 (assignments 0, 4); expert 3 ← token 1 (assignment 3).
 */
class DispatchPlanTest {

    private static DispatchPlan example() {
        DispatchPlan plan = new DispatchPlan(4, 2);
        plan.reset(3);
        plan.set(0, 0, 2, 0.5f);
        plan.set(0, 1, 0, 0.25f);
        plan.set(1, 0, 0, 0.75f);
        plan.set(1, 1, 3, 0.125f);
        plan.set(2, 0, 2, 1.5f);
        plan.set(2, 1, 0, 2.5f);
        plan.group();
        return plan;
    }

    @Test
    void eachExpertOwnsAContiguousBlockOfGroupedRows() {
        DispatchPlan plan = example();
        int[] begins = {plan.begin(0), plan.begin(1), plan.begin(2), plan.begin(3), plan.end(3)};
        assertArrayEquals(new int[] {0, 3, 3, 5, 6}, begins);
        assertArrayEquals(new int[] {3, 0, 2, 1}, new int[] {plan.load(0), plan.load(1), plan.load(2), plan.load(3)});
    }

    @Test
    void rowsWithinAnExpertBlockAreInTokenOrder() {
        DispatchPlan plan = example();
        assertArrayEquals(new int[] {0, 1, 2, 0, 2, 1}, Arrays.copyOf(plan.groupedTokens(), 6));
    }

    @Test
    void assignmentNamesTheTokenAndSlotOfEachGroupedRow() {
        DispatchPlan plan = example();
        int[] assignments = new int[6];
        for (int p = 0; p < 6; p++) {
            assignments[p] = plan.assignment(p);
        }
        assertArrayEquals(new int[] {1, 2, 5, 0, 4, 3}, assignments);
    }

    @Test
    void groupedPositionIsTheInverseOfAssignment() {
        DispatchPlan plan = example();
        int[][] expected = {{3, 0}, {1, 5}, {4, 2}};
        for (int t = 0; t < 3; t++) {
            for (int s = 0; s < 2; s++) {
                int p = plan.groupedPosition(t, s);
                assertEquals(expected[t][s], p, "token " + t + " slot " + s);
                assertEquals(t * 2 + s, plan.assignment(p));
            }
        }
    }

    @Test
    void slotsKeepTheirExpertAndWeight() {
        DispatchPlan plan = example();
        assertEquals(3, plan.expert(1, 1));
        assertEquals(0.125f, plan.weight(1, 1));
        assertEquals(2.5f, plan.weight(2, 1));
    }

    /** A plan reused for a smaller step must forget the larger step's rows. */
    @Test
    void reusingAPlanForFewerTokensRegroupsFromScratch() {
        DispatchPlan plan = example();
        plan.reset(1);
        plan.set(0, 0, 3, 1f);
        plan.set(0, 1, 1, 1f);
        plan.group();
        assertEquals(1, plan.tokens());
        assertArrayEquals(new int[] {0, 1, 0, 1}, new int[] {plan.load(0), plan.load(1), plan.load(2), plan.load(3)});
        assertEquals(1, plan.groupedPosition(0, 0));
        assertEquals(0, plan.groupedPosition(0, 1));
        assertEquals(2, plan.end(3));
    }
}
