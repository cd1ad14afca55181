package dev.conclave.core.testing;

import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Builds weight matrices in any dtype from float values, for kernel and stage tests. */
public final class TestMatrices {

    private TestMatrices() {
    }

    public static Matrix of(String name, DType dtype, int rows, int cols, float[] values) {
        MemorySegment seg = Arena.ofAuto().allocate((long) rows * cols * dtype.bytes(), 8);
        for (int i = 0; i < values.length; i++) {
            dtype.write(seg, i, values[i]);
        }
        return new Matrix(name, dtype, rows, cols, seg);
    }

    public static float[] gaussian(SplittableRandom rnd, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - rnd.nextDouble();
            double u2 = rnd.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1));
            v[i] = (float) (std * r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                v[i + 1] = (float) (std * r * Math.sin(2 * Math.PI * u2));
            }
        }
        return v;
    }
}
