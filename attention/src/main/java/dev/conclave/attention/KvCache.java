package dev.conclave.attention;

import java.util.Arrays;

/**
 * Keys (after QK-norm and RoPE) and values of one sequence for one layer, one row of
 * {@code num_key_value_heads · head_dim} per position.
 */
public final class KvCache {

    private final int width;
    private float[] keys;
    private float[] values;
    private int length;

    public KvCache(int width) {
        this.width = width;
        this.keys = new float[width * 16];
        this.values = new float[width * 16];
    }

    public int length() {
        return length;
    }

    public int width() {
        return width;
    }

    /** Appends one position's key and value rows. */
    public void append(float[] k, int kOffset, float[] v, int vOffset) {
        if ((length + 1) * width > keys.length) {
            int capacity = Math.max(keys.length * 2, (length + 1) * width);
            keys = Arrays.copyOf(keys, capacity);
            values = Arrays.copyOf(values, capacity);
        }
        System.arraycopy(k, kOffset, keys, length * width, width);
        System.arraycopy(v, vOffset, values, length * width, width);
        length++;
    }

    float[] keys() {
        return keys;
    }

    float[] values() {
        return values;
    }
}
