package dev.conclave.cli;

import dev.conclave.core.checkpoint.Checkpoint;
import java.lang.foreign.MemorySegment;
import java.util.function.LongConsumer;

/**
 * Pages every weight of a checkpoint into memory before the model runs. The tensors are memory-mapped, so
 * without this the first requests would read the checkpoint from disk one page fault at a time; the bytes
 * paged in so far are also the honest progress of loading.
 */
final class WeightPrefetch {
    /** Large tensors go in slices, so progress moves steadily on a slow disk. */
    private static final long SLICE = 64L << 20;

    private WeightPrefetch() {
    }

    static long totalBytes(Checkpoint checkpoint) {
        long total = 0;
        for (String name : checkpoint.names()) {
            total += checkpoint.tensor(name).data().byteSize();
        }
        return total;
    }

    /** Loads every tensor's pages in checkpoint order, telling {@code bytesDone} the running total after each slice. */
    static void run(Checkpoint checkpoint, LongConsumer bytesDone) {
        long done = 0;
        for (String name : checkpoint.names()) {
            MemorySegment data = checkpoint.tensor(name).data();
            for (long at = 0; at < data.byteSize(); at += SLICE) {
                MemorySegment slice = data.asSlice(at, Math.min(SLICE, data.byteSize() - at));
                if (slice.isMapped()) {
                    slice.load();
                }
                done += slice.byteSize();
                bytesDone.accept(done);
            }
        }
    }
}
