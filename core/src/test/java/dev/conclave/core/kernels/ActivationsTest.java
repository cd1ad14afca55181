package dev.conclave.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ActivationsTest {

    /** The vectorised SwiGLU gate against SiLU(z)·u in double, over the vector body, the tail and offsets. */
    @Test
    void siluMulMatchesDoublePrecisionSiluTimesUp() {
        SplittableRandom random = new SplittableRandom(7);
        int n = 203;
        float[] gate = new float[n + 5];
        float[] up = new float[n + 3];
        for (int i = 0; i < gate.length; i++) {
            gate[i] = (float) random.nextDouble(-30, 30);
        }
        gate[5] = -120f;
        gate[6] = 120f;
        gate[7] = 0f;
        for (int i = 0; i < up.length; i++) {
            up[i] = (float) random.nextDouble(-4, 4);
        }
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            double z = gate[5 + i];
            expected[i] = (float) (z / (1 + Math.exp(-z)) * up[3 + i]);
        }
        Activations.siluMul(gate, 5, up, 3, n);
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], gate[5 + i], 4 * Math.ulp(expected[i]) + 1e-30f, "element " + i);
        }
    }

    @Test
    void expShiftedIsTheSoftmaxNumeratorAndItsSum() {
        SplittableRandom random = new SplittableRandom(3);
        for (int n : new int[] {1, 15, 16, 37}) {
            float[] a = new float[n + 2];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-60, 5);
            }
            float max = 5f;
            double expectedSum = 0;
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) {
                expected[i] = (float) Math.exp(a[i] - max);   // the shift in float, as attention computes it
                expectedSum += expected[i];
            }
            float tail = a[n];
            float sum = Activations.expShifted(a, n, max);
            for (int i = 0; i < n; i++) {
                assertEquals(expected[i], a[i], 4 * Math.ulp(expected[i]) + 1e-30f, "n " + n + " element " + i);
            }
            assertEquals(expectedSum, sum, 1e-6 * expectedSum, "sum, n " + n);
            assertEquals(tail, a[n], "beyond n untouched");
        }
    }
}
