package dev.conclave.training.checkpoint;

import dev.conclave.core.tensor.BFloat16;

/**
 * Rounds a float64 master weight to the nearest bfloat16, ties to even, in one rounding. Going through float32
 * first would round twice, and a value just above a bf16 halfway point can land exactly on it in float32 and
 * then tie to even in the wrong direction; the correction below uses the sign of what float32 dropped.
 */
public final class Bf16 {

    private Bf16() {
    }

    /** The bf16 value nearest to {@code value}, as a float (which holds every bf16 exactly); NaN stays NaN. */
    public static float round(double value) {
        float f = (float) value;
        int bits = Float.floatToRawIntBits(f);
        boolean halfway = (bits & 0xFFFF) == 0x8000;
        if (halfway && Double.isFinite(value) && (double) f != value) {
            // float32 rounded onto a bf16 halfway point; the true value lies on the side float32 dropped.
            boolean awayFromZero = Math.abs(value) > Math.abs((double) f);
            int truncated = bits & 0xFFFF0000;
            return Float.intBitsToFloat(awayFromZero ? truncated + 0x10000 : truncated);
        }
        return fromBits(BFloat16.fromFloat(f));
    }

    /** The float32 value of bf16 {@code bits}. */
    static float fromBits(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
