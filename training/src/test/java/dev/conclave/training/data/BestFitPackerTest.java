package dev.conclave.training.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BestFitPackerTest {

    /** A document whose tokens are 1000·doc + position and whose mask is all true. */
    private static Document doc(int id, int length) {
        int[] tokens = new int[length];
        boolean[] mask = new boolean[length];
        for (int t = 0; t < length; t++) {
            tokens[t] = 1000 * id + t;
            mask[t] = true;
        }
        return new Document(tokens, mask, "doc" + id);
    }

    @Test
    void bestFitDecreasingByHand() {
        // Row length 10; doc 5 (12 tokens) splits into 10 + 2. Sorted: 10(d5) 7(d0) 5(d1) 3(d2) 3(d3) 2(d4) 2(d5 tail).
        // 10 → row A full; 7 → B (room 3); 5 → C (room 5); 3 → B, the tightest fit (room 0); 3 → C (room 2);
        // 2 → C (room 0); 2 → new row D.
        List<PackedRow> rows = new BestFitPacker(10, -1).pack(List.of(doc(0, 7), doc(1, 5), doc(2, 3), doc(3, 3), doc(4, 2), doc(5, 12)));
        assertEquals(4, rows.size());
        assertArrayEquals(new int[] {0}, rows.get(0).docStarts());
        assertEquals(5000, rows.get(0).tokens()[0]);
        assertArrayEquals(new int[] {0, 7}, rows.get(1).docStarts());
        assertEquals(2000, rows.get(1).tokens()[7]);
        assertArrayEquals(new int[] {0, 5, 8}, rows.get(2).docStarts());
        assertArrayEquals(new int[] {1000, 1001, 1002, 1003, 1004, 3000, 3001, 3002, 4000, 4001}, rows.get(2).tokens());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 0, 1, 2, 0, 1}, rows.get(2).positions());
        PackedRow tail = rows.get(3);
        assertEquals(2, tail.used());
        assertArrayEquals(new int[] {5010, 5011, -1, -1, -1, -1, -1, -1, -1, -1}, tail.tokens());
        assertEquals(-1, tail.documentOf(5));
        assertEquals(2, rows.get(2).documentOf(9));
    }

    @Test
    void labelsNeverCrossADocumentStartAndNothingIsLost() {
        List<Document> docs = new ArrayList<>();
        int[] lengths = {31, 4, 17, 64, 9, 9, 1, 70, 23, 2};
        for (int i = 0; i < lengths.length; i++) {
            docs.add(doc(i, lengths[i]));
        }
        List<PackedRow> rows = new BestFitPacker(32, 0).pack(docs);
        List<Integer> seen = new ArrayList<>();
        int masked = 0;
        for (PackedRow r : rows) {
            assertEquals(32, r.length());
            for (int s : r.docStarts()) {
                assertFalse(r.lossMask()[s], "a document start is never a target");
                assertEquals(0, r.positions()[s]);
            }
            for (int t = 0; t < r.length(); t++) {
                if (t < r.used()) {
                    seen.add(r.tokens()[t]);
                } else {
                    assertFalse(r.lossMask()[t], "padding is never a target");
                }
            }
            masked += r.maskedTokens();
        }
        int total = Arrays.stream(lengths).sum();
        assertEquals(total, seen.size());
        assertEquals(total, seen.stream().distinct().count());
        // Documents of 64 and 70 tokens become 2 and 3 chunks; every chunk start loses its target.
        int pieces = 0;
        for (int l : lengths) {
            pieces += (l + 31) / 32;
        }
        assertEquals(total - pieces, masked);
        assertTrue(rows.size() <= (total + 31) / 32 + 2, rows.size() + " rows");
    }
}
