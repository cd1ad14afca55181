package dev.conclave.training.nn;

import dev.conclave.training.Param;

/**
 * {@code y = w ⊙ x̂, x̂ = x·r, r = (mean_j x_j² + ε)^(−1/2)} over rows of width d (training spec §5.2). One
 * weight may serve many rows of one token, as QK-norm's does for every head. The forward keeps a reference
 * to x and the per-row r; x must stay unchanged until {@link #backward}.
 */
public final class RmsNorm {

    private final Param weight;
    private final double eps;
    private final int d;
    private double[] x;
    private double[] r = new double[0];
    private int rows;

    public RmsNorm(Param weight, double eps) {
        this.weight = weight;
        this.eps = eps;
        this.d = weight.size();
    }

    public Param weight() { return weight; }

    public void forward(double[] x, int rows, double[] y) {
        this.x = x;
        this.rows = rows;
        if (r.length < rows) {
            r = new double[rows];
        }
        double[] w = weight.value();
        for (int row = 0; row < rows; row++) {
            int o = row * d;
            double ss = Gemm.dot(x, o, x, o, d);
            double rr = 1.0 / Math.sqrt(ss / d + eps);
            r[row] = rr;
            for (int j = 0; j < d; j++) {
                y[o + j] = w[j] * (x[o + j] * rr);
            }
        }
    }

    /** {@code dx += r·(g − x̂·mean_j(g_j x̂_j))} with {@code g = dy ⊙ w}; {@code dw += Σ_rows dy ⊙ x̂}. */
    public void backward(double[] dy, double[] dx) {
        double[] w = weight.value();
        double[] dw = weight.grad();
        for (int row = 0; row < rows; row++) {
            int o = row * d;
            double rr = r[row];
            double mean = 0;
            for (int j = 0; j < d; j++) {
                double xh = x[o + j] * rr;
                mean += dy[o + j] * w[j] * xh;
                dw[j] += dy[o + j] * xh;
            }
            mean /= d;
            for (int j = 0; j < d; j++) {
                dx[o + j] += rr * (dy[o + j] * w[j] - x[o + j] * rr * mean);
            }
        }
    }
}
