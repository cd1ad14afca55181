package dev.conclave.training.optim;

/**
 * The quintic Newton–Schulz iteration Muon uses to map a matrix U to an approximately orthogonal matrix with
 * the same singular vectors (training spec §3.2): coefficients (a, b, c) = (3.4445, −4.7750, 2.0315), five
 * steps, iterating on the wide orientation so that X Xᵀ is the small Gram matrix. The coefficients trade
 * exactness for speed, so singular values land near 1 (about 0.6–1.2), not on it.
 *
 * <p>The reference runs this in bf16 on GPUs; here it runs in float64 like every other training tensor.
 * Scratch buffers are sized once for the largest matrix, so a step allocates nothing.
 */
final class NewtonSchulz {

    static final double A = 3.4445;
    static final double B = -4.7750;
    static final double C = 2.0315;
    static final int STEPS = 5;
    static final double EPS = 1e-7;

    private final double[] x;
    private final double[] next;
    private final double[] gram;
    private final double[] poly;

    /** Scratch for matrices of up to {@code maxElements} elements whose smaller side is at most {@code maxSide}. */
    NewtonSchulz(int maxElements, int maxSide) {
        x = new double[maxElements];
        next = new double[maxElements];
        gram = new double[maxSide * maxSide];
        poly = new double[maxSide * maxSide];
    }

    /** Writes NS5({@code u}) into {@code out}; both are row-major {@code rows × cols}. */
    void orthogonalize(double[] u, int rows, int cols, double[] out) {
        boolean transpose = rows > cols;
        int m = transpose ? cols : rows;   // the wide orientation: X is m × n with m ≤ n
        int n = transpose ? rows : cols;
        double norm = 0;
        for (int i = 0; i < rows * cols; i++) {
            norm += u[i] * u[i];
        }
        double scale = 1 / (Math.sqrt(norm) + EPS);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int to = transpose ? c * n + r : r * n + c;
                x[to] = u[r * cols + c] * scale;
            }
        }
        for (int step = 0; step < STEPS; step++) {
            iterate(m, n);
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = transpose ? x[c * n + r] : x[r * n + c];
            }
        }
    }

    /** One step: P = X Xᵀ; Q = b·P + c·P P; X ← a·X + Q X. */
    private void iterate(int m, int n) {
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += x[i * n + k] * x[j * n + k];
                }
                gram[i * m + j] = s;
                gram[j * m + i] = s;
            }
        }
        // P is symmetric, so (P P)[i][j] is the dot product of rows i and j.
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                double s = 0;
                for (int k = 0; k < m; k++) {
                    s += gram[i * m + k] * gram[j * m + k];
                }
                double q = B * gram[i * m + j] + C * s;
                poly[i * m + j] = q;
                poly[j * m + i] = q;
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                next[i * n + j] = A * x[i * n + j];
            }
            for (int k = 0; k < m; k++) {
                double q = poly[i * m + k];
                for (int j = 0; j < n; j++) {
                    next[i * n + j] += q * x[k * n + j];
                }
            }
        }
        System.arraycopy(next, 0, x, 0, m * n);
    }
}
