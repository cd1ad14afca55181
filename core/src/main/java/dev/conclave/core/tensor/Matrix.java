package dev.conclave.core.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A row-major weight matrix [rows, cols] as {@code nn.Linear} stores it ([out_features, in_features]),
 * backed by checkpoint bytes in its own dtype. Kernels widen to float32 as they read.
 */
public record Matrix(String name, DType dtype, int rows, int cols, MemorySegment data) {

    public Matrix {
        if ((long) rows * cols * dtype.bytes() != data.byteSize()) {
            throw new IllegalArgumentException("matrix " + name + ": " + data.byteSize() + " bytes for "
                    + rows + "x" + cols + " " + dtype);
        }
    }

    public static Matrix of(Tensor t) {
        long[] s = t.shape();
        if (s.length != 2 || s[0] > Integer.MAX_VALUE || s[1] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + t.name() + " is not a matrix: shape " + Arrays.toString(s));
        }
        return new Matrix(t.name(), t.dtype(), (int) s[0], (int) s[1], t.data());
    }

    /** Checks {@code [rows, cols]} against what the model expects, naming the tensor when they differ. */
    public Matrix requireShape(int expectedRows, int expectedCols) {
        if (rows != expectedRows || cols != expectedCols) {
            throw new IllegalArgumentException("tensor " + name + " has shape [" + rows + ", " + cols
                    + "], expected [" + expectedRows + ", " + expectedCols + "]");
        }
        return this;
    }

    public long rowBytes() {
        return (long) cols * dtype.bytes();
    }
}
