package dev.conclave.training.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.training.Param;
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
        double diff = 0;
        double norm = 0;
        for (int i : indices) {
            double v = values[i];
            values[i] = v + STEP;
            double plus = loss.getAsDouble();
            values[i] = v - STEP;
            double minus = loss.getAsDouble();
            values[i] = v;
            double numeric = (plus - minus) / (2 * STEP);
            diff += (numeric - analytic[i]) * (numeric - analytic[i]);
            norm += numeric * numeric;
        }
        if (norm == 0) {
            throw new AssertionError("finite differences are all zero: the check would prove nothing");
        }
        return Math.sqrt(diff / norm);
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
