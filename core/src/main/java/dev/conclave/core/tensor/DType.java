package dev.conclave.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Element types a checkpoint may store weights in; names are the safetensors dtype strings. */
public enum DType {
    F32(4),
    BF16(2),
    F16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Element {@code index} of {@code data} widened to float32 (BF16 and F16 convert exactly). */
    public float read(MemorySegment data, long index) {
        return switch (this) {
            case F32 -> data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, index * 4);
            case BF16 -> Float.intBitsToFloat((data.get(ValueLayout.JAVA_SHORT_UNALIGNED, index * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, index * 2));
        };
    }

    /** Stores {@code value} as element {@code index}, rounding to nearest even for BF16 and F16. */
    public void write(MemorySegment data, long index, float value) {
        switch (this) {
            case F32 -> data.set(ValueLayout.JAVA_FLOAT_UNALIGNED, index * 4, value);
            case BF16 -> data.set(ValueLayout.JAVA_SHORT_UNALIGNED, index * 2, toBf16(value));
            case F16 -> data.set(ValueLayout.JAVA_SHORT_UNALIGNED, index * 2, Float.floatToFloat16(value));
        }
    }

    /** float32 to bfloat16 bits with round-to-nearest-even; NaN stays a (quiet) NaN. */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The dtype for a safetensors dtype string, or null when Conclave cannot compute with it. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
