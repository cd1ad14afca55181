package dev.conclave.core.kernels;

import dev.conclave.core.tensor.Matrix;

/** Scalar reads of single weights, widened to float32; for kernel tails and reference paths. */
public final class Weights {

    private Weights() {
    }

    public static float at(Matrix w, int row, int col) {
        return w.dtype().read(w.data(), (long) row * w.cols() + col);
    }
}
