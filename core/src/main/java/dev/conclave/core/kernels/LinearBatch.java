package dev.conclave.core.kernels;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Matrix;

/**
 * Several independent products run as one parallel region: the weight rows of all of them are laid end
 * to end and cut into one contiguous share per thread, weighted by cost. One region per group (q/k/v;
 * every expert's gate and up; every expert's down) keeps synchronisation to a few points per layer.
 */
public final class LinearBatch {

    private Matrix[] weights = new Matrix[16];
    private Rows[] inputs = new Rows[16];
    private float[][] outputs = new float[16][];
    private int[] offsets = new int[16];
    private int[] strides = new int[16];
    private long[] rowCost = new long[16];
    private int size;

    public LinearBatch clear() {
        size = 0;
        return this;
    }

    /** Adds {@code out[outOffset + i*outStride + r] = Σ_k x[i,k] W[r,k]} for all rows r of W. */
    public LinearBatch add(Matrix w, Rows x, float[] out, int outOffset, int outStride) {
        if (size == weights.length) {
            grow();
        }
        weights[size] = w;
        inputs[size] = x;
        outputs[size] = out;
        offsets[size] = outOffset;
        strides[size] = outStride;
        // Reading a weight row costs about as much as four activation rows of FMAs.
        rowCost[size] = (long) w.cols() * (x.n() + 4);
        size++;
        return this;
    }

    public void run(Parallel parallel) {
        if (size == 0) {
            return;
        }
        long total = 0;
        for (int j = 0; j < size; j++) {
            total += rowCost[j] * weights[j].rows();
        }
        long all = total;
        int threads = parallel.threads();
        parallel.forRange(threads, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                runShare(all * t / threads, all * (t + 1) / threads);
            }
        });
    }

    /** Runs the rows whose cost interval starts in {@code [from, to)}, rounded to blocks of four rows. */
    private void runShare(long from, long to) {
        long base = 0;
        for (int j = 0; j < size; j++) {
            int rows = weights[j].rows();
            long end = base + rowCost[j] * rows;
            if (end > from && base < to) {
                int r0 = boundary(from - base, rowCost[j], rows);
                int r1 = boundary(to - base, rowCost[j], rows);
                if (r0 < r1) {
                    Linear.multiply(weights[j], inputs[j], outputs[j], offsets[j], strides[j], r0, r1);
                }
            }
            base = end;
        }
    }

    /** First row (a multiple of four, or the end) whose cost offset is at least {@code cost}. */
    private static int boundary(long cost, long perRow, int rows) {
        if (cost <= 0) {
            return 0;
        }
        long r = (cost + perRow - 1) / perRow;
        r = (r + 3) & ~3L;
        return (int) Math.min(r, rows);
    }

    private void grow() {
        int n = weights.length * 2;
        weights = java.util.Arrays.copyOf(weights, n);
        inputs = java.util.Arrays.copyOf(inputs, n);
        outputs = java.util.Arrays.copyOf(outputs, n);
        offsets = java.util.Arrays.copyOf(offsets, n);
        strides = java.util.Arrays.copyOf(strides, n);
        rowCost = java.util.Arrays.copyOf(rowCost, n);
    }
}
