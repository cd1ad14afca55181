package dev.conclave.core.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named, read-only view of one checkpoint tensor: its dtype, shape and the bytes that hold it
 * (usually a slice of a memory-mapped safetensors file, so nothing is copied onto the heap).
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public Tensor {
        shape = shape.clone();
        long expected = numel(shape) * dtype.bytes();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize()
                    + " bytes for shape " + Arrays.toString(shape) + " of " + dtype + " (expected " + expected + ")");
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Element {@code i} widened to float32 (BF16 and F16 convert exactly). */
    public float get(long i) {
        return dtype.read(data, i);
    }

    /** The whole tensor as float32 on the heap; meant for small tensors (norm weights, biases). */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor " + name + " is too large for a heap array: " + n + " elements");
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(i);
        }
        return out;
    }
}
