package dev.conclave.training.optim;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NewtonSchulzTest {

    static double[] gaussian(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextGaussian();
        }
        return a;
    }

    /** Singular values of a rows × cols matrix: square roots of the eigenvalues of the smaller Gram matrix (Jacobi). */
    static double[] singularValues(double[] a, int rows, int cols) {
        boolean wide = rows <= cols;
        int m = wide ? rows : cols;
        int n = wide ? cols : rows;
        double[][] g = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += (wide ? a[i * cols + k] * a[j * cols + k] : a[k * cols + i] * a[k * cols + j]);
                }
                g[i][j] = s;
            }
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < m; p++) {
                for (int q = p + 1; q < m; q++) {
                    off += g[p][q] * g[p][q];
                }
            }
            if (off < 1e-22) {
                break;
            }
            for (int p = 0; p < m; p++) {
                for (int q = p + 1; q < m; q++) {
                    if (Math.abs(g[p][q]) < 1e-300) {
                        continue;
                    }
                    double theta = (g[q][q] - g[p][p]) / (2 * g[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < m; k++) {
                        double gkp = g[k][p];
                        double gkq = g[k][q];
                        g[k][p] = c * gkp - s * gkq;
                        g[k][q] = s * gkp + c * gkq;
                    }
                    for (int k = 0; k < m; k++) {
                        double gpk = g[p][k];
                        double gqk = g[q][k];
                        g[p][k] = c * gpk - s * gqk;
                        g[q][k] = s * gpk + c * gqk;
                    }
                }
            }
        }
        double[] sv = new double[m];
        for (int i = 0; i < m; i++) {
            sv[i] = Math.sqrt(Math.max(0, g[i][i]));
        }
        Arrays.sort(sv);
        return sv;
    }

    private static double[] ns(double[] u, int rows, int cols) {
        double[] out = new double[rows * cols];
        new NewtonSchulz(rows * cols, Math.min(rows, cols)).orthogonalize(u, rows, cols, out);
        return out;
    }

    @Test
    void jacobiFindsKnownSingularValues() {
        // diag(3, 1) rotated: singular values 1 and 3, a check of the test's own helper.
        double c = Math.cos(0.3);
        double s = Math.sin(0.3);
        double[] a = {3 * c, -s, 3 * s, c};
        double[] sv = singularValues(a, 2, 2);
        assertEquals(1, sv[0], 1e-12);
        assertEquals(3, sv[1], 1e-12);
    }

    @Test
    void squareGaussianLandsInTheSpecBand() {
        double[] sv = singularValues(ns(gaussian(64 * 64, 1), 64, 64), 64, 64);
        // Spec §3.2: ≈ [0.57, 1.20] for 64×64; the smallest values of a square Gaussian sit near 0 and NS5
        // lifts them only part-way, hence the lower band.
        assertTrue(sv[0] > 0.5 && sv[sv.length - 1] < 1.25, "singular values " + sv[0] + " .. " + sv[sv.length - 1]);
    }

    @Test
    void rectangularGaussianLandsInTheSpecBand() {
        double[] sv = singularValues(ns(gaussian(128 * 512, 2), 128, 512), 128, 512);
        // Spec §3.2: ≈ [0.68, 1.13] for 128×512.
        assertTrue(sv[0] > 0.65 && sv[sv.length - 1] < 1.16, "singular values " + sv[0] + " .. " + sv[sv.length - 1]);
    }

    @Test
    void tallMatrixIsTheTransposeOfItsWideForm() {
        int rows = 96;
        int cols = 24;
        double[] tall = gaussian(rows * cols, 3);
        double[] wide = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                wide[c * rows + r] = tall[r * cols + c];
            }
        }
        double[] fromTall = ns(tall, rows, cols);
        double[] fromWide = ns(wide, cols, rows);
        double[] back = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                back[r * cols + c] = fromWide[c * rows + r];
            }
        }
        assertArrayEquals(back, fromTall, 1e-14);
        double[] sv = singularValues(fromTall, rows, cols);
        assertTrue(sv[0] > 0.65 && sv[sv.length - 1] < 1.16, "singular values " + sv[0] + " .. " + sv[sv.length - 1]);
    }

    @Test
    void scaleOfTheInputDoesNotMatterAndZeroStaysZero() {
        double[] u = gaussian(16 * 32, 4);
        double[] scaled = u.clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= 1e3;
        }
        // Only the 1e-7 guard in the normalisation sees the scale.
        assertArrayEquals(ns(u, 16, 32), ns(scaled, 16, 32), 1e-6);
        assertArrayEquals(new double[16 * 32], ns(new double[16 * 32], 16, 32));
    }

    @Test
    void oneStepMatchesTheQuinticByHand() {
        // A 1×1 matrix u: X = u/(|u| + 1e-7) ≈ ±1 and each step maps x to a·x + b·x³ + c·x⁵.
        double x = 2 / (2 + NewtonSchulz.EPS);
        for (int s = 0; s < NewtonSchulz.STEPS; s++) {
            x = 3.4445 * x - 4.7750 * x * x * x + 2.0315 * x * x * x * x * x;
        }
        assertEquals(x, ns(new double[] {2}, 1, 1)[0], 1e-13);
    }
}
