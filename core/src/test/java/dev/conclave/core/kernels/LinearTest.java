package dev.conclave.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Matrix;
import dev.conclave.core.testing.TestMatrices;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class LinearTest {

    /** Every tile/tail combination: rows and activation counts around the 4-blocking, widths around 32. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void matchesDoublePrecisionReferenceForAllShapes(DType dtype) {
        SplittableRandom rnd = new SplittableRandom(7);
        int[] widths = {2, 30, 32, 34, 64, 96, 130};
        for (int k : widths) {
            for (int rows = 1; rows <= 9; rows++) {
                for (int n = 1; n <= 9; n += n < 3 ? 1 : 2) {
                    float[] wv = TestMatrices.gaussian(rnd, rows * k, 1.0);
                    Matrix w = TestMatrices.of("w", dtype, rows, k, wv);
                    float[] x = TestMatrices.gaussian(rnd, n * k, 1.0);
                    float[] out = new float[n * rows];
                    Linear.multiply(w, new Rows().load(x, n, k), out, 0, rows, 0, rows);
                    for (int i = 0; i < n; i++) {
                        for (int r = 0; r < rows; r++) {
                            double ref = 0;
                            for (int e = 0; e < k; e++) {
                                ref += (double) Weights.at(w, r, e) * x[i * k + e];
                            }
                            assertEquals(ref, out[i * rows + r], 1e-4 * Math.sqrt(k),
                                    dtype + " k=" + k + " rows=" + rows + " n=" + n + " i=" + i + " r=" + r);
                        }
                    }
                }
            }
        }
    }

    @Test
    void sixteenBitWideningIsExact() {
        float[] values = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-05f, 5.9604645e-08f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 3.0e38f, -1.0e-39f, 0.33325195f};
        int k = 64;
        float[] row = new float[k];
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            for (int p = 0; p < values.length; p++) {
                row[p * 2 % k] = values[p];
                Matrix w = TestMatrices.of("w", dtype, 1, k, row);
                float[] x = new float[k];
                x[p * 2 % k] = 1f;
                float[] out = new float[1];
                Linear.multiply(w, new Rows().load(x, 1, k), out, 0, 1, 0, 1);
                float expected = Weights.at(w, 0, p * 2 % k);
                assertEquals(expected, out[0], 0f, dtype + " value " + values[p]);
                row[p * 2 % k] = 0f;
            }
        }
        Matrix nan = TestMatrices.of("nan", DType.F16, 1, 32, new float[] {Float.NaN});
        float[] x = new float[32];
        x[0] = 1f;
        float[] out = new float[1];
        Linear.multiply(nan, new Rows().load(x, 1, 32), out, 0, 1, 0, 1);
        assertTrue(Float.isNaN(out[0]));
    }

    /**
     * Two or three BF16 rows (a speculative verification) give each row exactly its lone-row product, so
     * verifying drafts cannot change a greedy token.
     */
    @Test
    void fewBf16RowsEachGiveExactlyTheirLoneRowProduct() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int k : new int[] {30, 64, 130}) {
            int rows = 11;
            Matrix w = TestMatrices.of("w", DType.BF16, rows, k, TestMatrices.gaussian(rnd, rows * k, 1.0));
            for (int n = 2; n <= 3; n++) {
                float[] x = TestMatrices.gaussian(rnd, n * k, 1.0);
                float[] together = new float[n * rows];
                Linear.multiply(w, new Rows().load(x, n, k), together, 0, rows, 0, rows);
                for (int i = 0; i < n; i++) {
                    float[] alone = new float[rows];
                    Linear.multiply(w, new Rows().load(java.util.Arrays.copyOfRange(x, i * k, (i + 1) * k), 1, k),
                            alone, 0, rows, 0, rows);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(alone[r], together[i * rows + r], 0f, "k=" + k + " n=" + n + " i=" + i + " r=" + r);
                    }
                }
            }
        }
    }

    @Test
    void rowRangesSplitAcrossThreadsGiveTheSameProduct() {
        SplittableRandom rnd = new SplittableRandom(3);
        int rows = 203, k = 256, n = 6;
        Matrix w = TestMatrices.of("w", DType.BF16, rows, k, TestMatrices.gaussian(rnd, rows * k, 1.0));
        Rows x = new Rows().load(TestMatrices.gaussian(rnd, n * k, 1.0), n, k);
        float[] serial = new float[n * rows];
        Linear.multiply(w, x, serial, 0, rows, 0, rows);
        float[] split = new float[n * rows];
        try (Parallel p = Parallel.create(3)) {
            p.forRange(rows, 4, (a, b) -> Linear.multiply(w, x, split, 0, rows, a, b));
        }
        for (int i = 0; i < serial.length; i++) {
            assertEquals(serial[i], split[i], 0f);
        }
    }
}
