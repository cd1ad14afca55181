package dev.conclave.training.optim;

import dev.conclave.training.Param;

import java.util.List;

/** Global gradient-norm clipping (training spec §1.1, §5.10): one L2 norm over every gradient of the step. */
public final class GradientClipping {

    /** Added to the norm before dividing, as torch's {@code clip_grad_norm_} does, so a norm of 0 is harmless. */
    static final double EPS = 1e-6;

    private GradientClipping() {
    }

    /** sqrt(Σ g²) over all params, accumulated in float64. */
    public static double globalNorm(List<Param> params) {
        return Math.sqrt(squaredSum(params));
    }

    /** Σ g² over these params: their share of the global norm when several owners hold a model's params. */
    public static double squaredSum(List<Param> params) {
        double sum = 0;
        for (Param p : params) {
            for (double g : p.grad()) {
                sum += g * g;
            }
        }
        return sum;
    }

    /**
     * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when the global norm exceeds {@code maxNorm};
     * returns the norm before clipping.
     */
    public static double clip(List<Param> params, double maxNorm) {
        double norm = globalNorm(params);
        scale(params, norm, maxNorm);
        return norm;
    }

    /** The clipping of {@link #clip} with the global norm given (computed over every owner's params). */
    public static void scale(List<Param> params, double norm, double maxNorm) {
        double coefficient = maxNorm / (norm + EPS);
        if (coefficient < 1) {
            for (Param p : params) {
                double[] g = p.grad();
                for (int i = 0; i < g.length; i++) {
                    g[i] *= coefficient;
                }
            }
        }
    }

    /** The first param holding a NaN or infinite gradient, or null when every gradient is finite. */
    public static Param firstNonFinite(List<Param> params) {
        for (Param p : params) {
            for (double g : p.grad()) {
                if (!Double.isFinite(g)) {
                    return p;
                }
            }
        }
        return null;
    }
}
