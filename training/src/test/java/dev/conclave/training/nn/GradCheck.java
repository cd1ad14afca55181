package dev.conclave.training.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.training.Param;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences in float64 (training spec §5.10): {@code (L(v+h) − L(v−h)) / 2h} per checked
 * element against the hand-written gradient, compared per tensor as a relative L2 error.
 */
public final class GradCheck {

    /** The spec's bound on the relative error of every tensor's gradient. */
    public static final double TOLERANCE = 1e-6;
    public static final double STEP = 1e-6;

    private GradCheck() {
    }

    /** Relative L2 error of {@code analytic} at {@code indices} against finite differences of {@code loss}. */
    public static double relativeError(double[] values, double[] analytic, int[] indices, DoubleSupplier loss) {
        return relativeError(values, analytic, indices, loss, STEP, false);
    }

    /**
     * As {@link #relativeError(double[], double[], int[], DoubleSupplier)} with step h; {@code fourthOrder}
     * uses the five-point central stencil {@code (−L(v+2h) + 8L(v+h) − 8L(v−h) + L(v−2h)) / 12h}, whose
     * truncation error is O(h⁴), for gradients so small that the two-point rounding error would dominate.
     * A tensor whose differences and gradient are both exactly zero (an expert no token reached) counts as
     * error 0; zero differences against a nonzero gradient as infinite error.
     */
    public static double relativeError(double[] values, double[] analytic, int[] indices, DoubleSupplier loss,
                                       double h, boolean fourthOrder) {
        double diff = 0;
        double norm = 0;
        for (int i : indices) {
            double v = values[i];
            double numeric;
            if (fourthOrder) {
                // Differences first: an unchanged loss then gives exactly 0, not the rounding of −L + 8L − 8L + L.
                double near = at(values, i, v + h, loss) - at(values, i, v - h, loss);
                double far = at(values, i, v + 2 * h, loss) - at(values, i, v - 2 * h, loss);
                numeric = (8 * near - far) / (12 * h);
            } else {
                numeric = (at(values, i, v + h, loss) - at(values, i, v - h, loss)) / (2 * h);
            }
            values[i] = v;
            diff += (numeric - analytic[i]) * (numeric - analytic[i]);
            norm += numeric * numeric;
        }
        if (norm == 0) {
            return diff == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(diff / norm);
    }

    private static double at(double[] values, int i, double v, DoubleSupplier loss) {
        values[i] = v;
        return loss.getAsDouble();
    }

    /** Asserts the bound for every element of a small array. */
    public static void assertGradient(String what, double[] values, double[] analytic, DoubleSupplier loss) {
        assertGradient(what, values, analytic, all(values.length), loss);
    }

    public static void assertGradient(String what, double[] values, double[] analytic, int[] indices,
                                      DoubleSupplier loss) {
        double rel = relativeError(values, analytic, indices, loss);
        assertTrue(rel <= TOLERANCE, what + ": gradient relative error " + rel + " > " + TOLERANCE);
    }

    public static void assertGradient(Param p, DoubleSupplier loss) {
        assertGradient(p.name(), p.value(), p.grad(), loss);
    }

    public static int[] all(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    /** Up to {@code count} distinct indices of [0, n), always including the first and the last. */
    public static int[] sample(int n, int count, Random rnd) {
        if (n <= count) {
            return all(n);
        }
        TreeSet<Integer> picked = new TreeSet<>();
        picked.add(0);
        picked.add(n - 1);
        while (picked.size() < count) {
            picked.add(rnd.nextInt(n));
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    public static double[] gaussian(int n, double std, Random rnd) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = std * rnd.nextGaussian();
        }
        return out;
    }

    /**
     * Random values with O(1) gradients everywhere, for gradient checks: norm weights near 1, matrices and
     * biases spread enough that no tiny gradient sinks under the differences' rounding, and a nonzero
     * correction bias so selection differs from the plain top-k.
     */
    public static void randomise(List<Param> params, Random rnd) {
        for (Param p : params) {
            if (p.name().endsWith("e_score_correction_bias")) {
                fill(p, 0, 0.05, rnd);
            } else if (p.name().endsWith("norm.weight")) {
                fill(p, 1, 0.2, rnd);
            } else {
                fill(p, 0, p.shape().length == 1 ? 0.2 : 0.35, rnd);
            }
        }
    }

    public static void fill(Param p, double mean, double std, Random rnd) {
        double[] v = p.value();
        for (int i = 0; i < v.length; i++) {
            v[i] = mean + std * rnd.nextGaussian();
        }
    }

    /** {@code Σ r·y} over the first r.length elements: a random projection that makes any output a scalar loss. */
    public static double project(double[] r, double[] y) {
        double s = 0;
        for (int i = 0; i < r.length; i++) {
            s += r[i] * y[i];
        }
        return s;
    }
}
