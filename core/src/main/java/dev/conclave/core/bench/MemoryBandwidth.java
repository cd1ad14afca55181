package dev.conclave.core.bench;

import dev.conclave.core.parallel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's memory read bandwidth the way decode reads weights: a streaming, vectorised
 * sum over an off-heap buffer far larger than the caches, split across the compute threads.
 */
public final class MemoryBandwidth {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {
    }

    /** Best of {@code repeats} passes over {@code bytes} bytes, in bytes per second. */
    public static double measure(Parallel parallel, long bytes, int repeats) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, 64);
            buffer.fill((byte) 1);
            int chunks = parallel.threads() * 16;
            long chunkBytes = bytes / chunks / F.vectorByteSize() * F.vectorByteSize();
            double[] sink = new double[chunks];
            double best = 0;
            for (int rep = 0; rep < repeats + 1; rep++) {
                long t0 = System.nanoTime();
                parallel.forRange(chunks, (c0, c1) -> {
                    for (int c = c0; c < c1; c++) {
                        sink[c] = sum(buffer, c * chunkBytes, chunkBytes);
                    }
                });
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (rep > 0) {
                    best = Math.max(best, chunks * chunkBytes / seconds);
                }
            }
            if (Double.isNaN(sink[0])) {
                throw new IllegalStateException("unreachable: keeps the sums alive");
            }
            return best;
        }
    }

    private static double sum(MemorySegment s, long offset, long length) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        long step = F.vectorByteSize();
        long end = offset + length - 4 * step;
        long o = offset;
        for (; o <= end; o += 4 * step) {
            a = a.add(FloatVector.fromMemorySegment(F, s, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, s, o + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, s, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, s, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
