package dev.conclave.core.tensor;

/** float32 → bfloat16 rounding, the conversion PyTorch applies when a float32 tensor is cast to bfloat16. */
public final class BFloat16 {

    private BFloat16() {
    }

    /**
     * The bfloat16 bits nearest to {@code value}, ties to even. A NaN stays a NaN: plain rounding could
     * carry its payload into the exponent (→ infinity) or drop it (→ infinity), so its quiet bit is forced.
     */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }
}
