package dev.conclave.core.tensor;

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
