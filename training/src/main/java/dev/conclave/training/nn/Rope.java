package dev.conclave.training.nn;

/**
 * Partial NeoX (half-split) RoPE (training spec §5.5, model spec §3.4): for j &lt; R/2 the pair
 * (x_j, x_{j+R/2}) of every head turns by φ = p·θ_j, θ_j = base^(−2j/R); dims ≥ R pass through. The
 * backward is the rotation by −φ. No parameters.
 */
public final class Rope {

    private final int headDim;
    private final int half;
    private final double[] invFreq;
    private double[] cos = new double[0];
    private double[] sin = new double[0];
    private int positions;

    public Rope(int headDim, int rotaryDim, double theta) {
        if (rotaryDim % 2 != 0 || rotaryDim > headDim) {
            throw new IllegalArgumentException("rotary dim " + rotaryDim + " must be even and <= head_dim " + headDim);
        }
        this.headDim = headDim;
        this.half = rotaryDim / 2;
        this.invFreq = new double[half];
        for (int j = 0; j < half; j++) {
            invFreq[j] = 1.0 / Math.pow(theta, 2.0 * j / rotaryDim);
        }
    }

    /** Rotates rows [0, n) of {@code x} ([n × heads × head_dim]) in place by their document positions. */
    public void forward(double[] x, int heads, Documents docs) {
        rotate(x, heads, docs, 1);
    }

    /** The transpose: turns the gradient back by −φ, in place. */
    public void backward(double[] dx, int heads, Documents docs) {
        rotate(dx, heads, docs, -1);
    }

    private void rotate(double[] x, int heads, Documents docs, int sign) {
        int n = docs.rows();
        ensure(n);
        for (int t = 0; t < n; t++) {
            int p = docs.position(t) * half;
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * headDim;
                for (int j = 0; j < half; j++) {
                    double c = cos[p + j];
                    double s = sign * sin[p + j];
                    double a = x[o + j];
                    double b = x[o + j + half];
                    x[o + j] = a * c - b * s;
                    x[o + j + half] = b * c + a * s;
                }
            }
        }
    }

    private void ensure(int n) {
        if (n <= positions) {
            return;
        }
        cos = new double[n * half];
        sin = new double[n * half];
        for (int p = 0; p < n; p++) {
            for (int j = 0; j < half; j++) {
                double phi = p * invFreq[j];
                cos[p * half + j] = Math.cos(phi);
                sin[p * half + j] = Math.sin(phi);
            }
        }
        positions = n;
    }
}
