package dev.conclave.training.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BatchesTest {

    private static List<PackedRow> rows(int n) {
        List<PackedRow> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean[] mask = new boolean[4];
            for (int t = 1; t <= i % 4; t++) {
                mask[t] = true;
            }
            rows.add(new PackedRow(new int[] {i, i, i, i}, mask, new int[] {0, 1, 2, 3}, new int[] {0}, 4));
        }
        return rows;
    }

    private static List<Integer> order(Batches b) {
        List<Integer> ids = new ArrayList<>();
        b.steps().forEach(s -> s.microBatches().forEach(m -> m.forEach(r -> ids.add(r.tokens()[0]))));
        return ids;
    }

    @Test
    void seededShuffleIsReproducibleAndChangesPerEpoch() {
        List<PackedRow> rows = rows(23);
        Batches a = Batches.epoch(rows, 7, 0, 2, 3);
        assertEquals(order(a), order(Batches.epoch(rows, 7, 0, 2, 3)));
        assertNotEquals(order(a), order(Batches.epoch(rows, 7, 1, 2, 3)));
        assertNotEquals(order(a), order(Batches.epoch(rows, 8, 0, 2, 3)));
        assertNotEquals(List.of(0, 1, 2, 3, 4, 5), order(a).subList(0, 6));
    }

    @Test
    void stepsGroupMicroBatchesAndCountTheirLossTokens() {
        List<PackedRow> rows = rows(23);
        Batches b = Batches.epoch(rows, 1, 0, 2, 3);
        assertEquals(3, b.steps().size());
        assertEquals(5, b.leftOver());
        for (Batches.Step s : b.steps()) {
            assertEquals(3, s.microBatches().size());
            long masked = 0;
            for (List<PackedRow> m : s.microBatches()) {
                assertEquals(2, m.size());
                for (PackedRow r : m) {
                    masked += r.tokens()[0] % 4;  // row i has i mod 4 targets
                }
            }
            assertEquals(masked, s.maskedTokens());
        }
        assertEquals(18, order(b).stream().distinct().count());
        assertThrows(IllegalArgumentException.class, () -> Batches.epoch(rows, 1, 0, 0, 1));
    }
}
