package dev.conclave.training.loop;

import dev.conclave.training.data.PackedRow;
import dev.conclave.training.model.Batch;
import dev.conclave.training.nn.Documents;
import java.util.ArrayList;
import java.util.List;

/**
 * A micro-batch of packed rows as the model's input: each row's documents in order, padding dropped (the
 * forward's cost is per token and attention is per document, so fixed-length rows need no pad rows).
 */
public final class PackedBatch {

    private PackedBatch() {}

    public static Batch of(List<PackedRow> rows) {
        int n = 0;
        int docs = 0;
        for (PackedRow r : rows) {
            n += r.used();
            docs += r.docStarts().length;
        }
        int[] tokens = new int[n];
        boolean[] mask = new boolean[n];
        int[] lengths = new int[docs];
        int at = 0;
        int d = 0;
        for (PackedRow r : rows) {
            System.arraycopy(r.tokens(), 0, tokens, at, r.used());
            System.arraycopy(r.lossMask(), 0, mask, at, r.used());
            int[] starts = r.docStarts();
            for (int i = 0; i < starts.length; i++) {
                lengths[d++] = (i + 1 < starts.length ? starts[i + 1] : r.used()) - starts[i];
            }
            at += r.used();
        }
        return new Batch(tokens, Documents.of(lengths), mask);
    }

    /** One model batch per micro-batch of an optimizer step. */
    public static List<Batch> each(List<List<PackedRow>> microBatches) {
        List<Batch> out = new ArrayList<>(microBatches.size());
        for (List<PackedRow> m : microBatches) {
            out.add(of(m));
        }
        return out;
    }
}
