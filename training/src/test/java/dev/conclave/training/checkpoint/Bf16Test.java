package dev.conclave.training.checkpoint;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bf16Test {

    private static void rounds(double in, double expected) {
        float got = Bf16.round(in);
        assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(got), in + " → " + got);
    }

    @Test
    void roundsToNearestTiesToEven() {
        double ulp = Math.scalb(1.0, -7);  // bf16 spacing in [1, 2): 7 stored mantissa bits
        rounds(1.0, 1.0);
        rounds(1 + ulp / 2, 1.0);                       // tie, 1.0 is even
        rounds(1 + 3 * ulp / 2, 1 + 2 * ulp);           // tie, 1 + 2ulp is even
        rounds(1 + ulp / 4, 1.0);
        rounds(1 + 3 * ulp / 4, 1 + ulp);
        rounds(-(1 + 3 * ulp / 2), -(1 + 2 * ulp));
        rounds(0.1, 0.10009765625);                      // 0x3DCD
        rounds(-0.0, -0.0);
        rounds(1e-46, 0.0);                              // below every bf16 subnormal
    }

    @Test
    void roundsOnceFromFloat64() {
        double ulp = Math.scalb(1.0, -7);
        // float32 rounds these onto the halfway point 1 + ulp/2; the true values lie just above / below it.
        rounds(1 + ulp / 2 + Math.scalb(1.0, -40), 1 + ulp);
        rounds(1 + ulp / 2 - Math.scalb(1.0, -40), 1.0);
        rounds(-(1 + ulp / 2 + Math.scalb(1.0, -40)), -(1 + ulp));
    }

    @Test
    void specialValues() {
        assertTrue(Float.isNaN(Bf16.round(Double.NaN)));
        rounds(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
        rounds(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY);
        rounds(3.3895313892515355e38, 3.3895313892515355e38);   // the largest bf16
        rounds(Float.MAX_VALUE, Double.POSITIVE_INFINITY);      // past the last halfway point
        rounds(1e300, Double.POSITIVE_INFINITY);
    }
}
