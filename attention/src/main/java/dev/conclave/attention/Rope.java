package dev.conclave.attention;

/**
 * Partial rotary position embedding in the NeoX (half-split) convention: only the first
 * {@code R = head_dim · partial_rotary_factor} dims of a head rotate, dim j pairing with dim j + R/2,
 * with {@code inv_freq[j] = theta^(-2j/R)} (the exponent runs over R, not head_dim).
 */
public final class Rope {

    private final int rotaryDim;
    private final int pairs;
    private final double[] invFreq;
    private float[] cos = new float[0];
    private float[] sin = new float[0];
    private int positions;

    public Rope(int rotaryDim, double theta) {
        if (rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dim must be even, got " + rotaryDim);
        }
        this.rotaryDim = rotaryDim;
        this.pairs = rotaryDim / 2;
        this.invFreq = new double[pairs];
        for (int j = 0; j < pairs; j++) {
            invFreq[j] = 1.0 / Math.pow(theta, (2.0 * j) / rotaryDim);
        }
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    /** Rotates the first R dims of the head at {@code x[offset ..]} to position {@code pos}. */
    public void rotate(float[] x, int offset, int pos) {
        ensure(pos + 1);
        int t = pos * pairs;
        for (int j = 0; j < pairs; j++) {
            float c = cos[t + j];
            float s = sin[t + j];
            float a = x[offset + j];
            float b = x[offset + j + pairs];
            x[offset + j] = a * c - b * s;
            x[offset + j + pairs] = b * c + a * s;
        }
    }

    /** Tables grow by doubling so that a long decode computes each position's angles once. */
    private void ensure(int needed) {
        if (needed <= positions) {
            return;
        }
        int n = Math.max(needed, Math.max(64, positions * 2));
        float[] c = new float[n * pairs];
        float[] s = new float[n * pairs];
        System.arraycopy(cos, 0, c, 0, positions * pairs);
        System.arraycopy(sin, 0, s, 0, positions * pairs);
        for (int p = positions; p < n; p++) {
            for (int j = 0; j < pairs; j++) {
                double angle = p * invFreq[j];
                c[p * pairs + j] = (float) Math.cos(angle);
                s[p * pairs + j] = (float) Math.sin(angle);
            }
        }
        cos = c;
        sin = s;
        positions = n;
    }
}
