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

    /** Drops every position from {@code newLength} on: the entries of rejected speculative drafts. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a KV cache of " + length + " positions to " + newLength);
        }
        length = newLength;
    }

    /** Element {@code i} of the key row at {@code position}. */
    public float keyAt(int position, int i) {
        return keys[position * width + i];
    }

    /** Element {@code i} of the value row at {@code position}. */
    public float valueAt(int position, int i) {
        return values[position * width + i];
    }

    float[] keys() {
        return keys;
    }

    float[] values() {
        return values;
    }
}
