package dev.conclave.core.kernels;

/**
 * Activation rows [n, k] laid out for the matrix kernels. Besides the plain rows it keeps each row
 * deinterleaved into even and odd elements: a 16-bit weight row read as 32-bit lanes holds element
 * 2j in the low half and 2j+1 in the high half, so the kernels widen both halves with one shift or
 * mask and multiply them with the matching even and odd activations (no lane shuffles).
 */
public final class Rows {

    private float[] plain = new float[0];
    private float[] even = new float[0];
    private float[] odd = new float[0];
    private int n;
    private int k;

    /** Copies {@code n} rows of width {@code k} from {@code src} starting at row offset 0. */
    public Rows load(float[] src, int n, int k) {
        return load(src, 0, n, k);
    }

    public Rows load(float[] src, int srcOffset, int n, int k) {
        if ((k & 1) != 0) {
            throw new IllegalArgumentException("row width must be even, got " + k);
        }
        ensure(n, k);
        System.arraycopy(src, srcOffset, plain, 0, n * k);
        int half = k >> 1;
        for (int r = 0; r < n; r++) {
            int s = srcOffset + r * k;
            int d = r * half;
            for (int j = 0; j < half; j++) {
                even[d + j] = src[s + 2 * j];
                odd[d + j] = src[s + 2 * j + 1];
            }
        }
        return this;
    }

    /** Gathers the listed rows of {@code src} (each of width {@code k}) into this buffer. */
    public Rows gather(float[] src, int[] rowIds, int from, int to, int k) {
        int count = to - from;
        ensure(count, k);
        int half = k >> 1;
        for (int r = 0; r < count; r++) {
            int s = rowIds[from + r] * k;
            System.arraycopy(src, s, plain, r * k, k);
            int d = r * half;
            for (int j = 0; j < half; j++) {
                even[d + j] = src[s + 2 * j];
                odd[d + j] = src[s + 2 * j + 1];
            }
        }
        return this;
    }

    private void ensure(int n, int k) {
        int size = n * k;
        if (plain.length < size) {
            plain = new float[size];
            even = new float[size / 2 + 1];
            odd = new float[size / 2 + 1];
        }
        this.n = n;
        this.k = k;
    }

    public int n() {
        return n;
    }

    public int k() {
        return k;
    }

    float[] plain() {
        return plain;
    }

    float[] even() {
        return even;
    }

    float[] odd() {
        return odd;
    }
}
