package dev.conclave.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm with Hugging Face semantics: {@code y = x / sqrt(mean(x²) + eps) · w}; no mean subtraction,
 * the weight is used as stored (not 1 + w).
 */
public final class RmsNorm {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private RmsNorm() {
    }

    /** Normalises {@code n} consecutive vectors of {@code weight.length} from {@code x} into {@code out}. */
    public static void apply(float[] x, int xOffset, float[] weight, float eps, float[] out, int outOffset, int n) {
        int d = weight.length;
        for (int v = 0; v < n; v++) {
            int xo = xOffset + v * d;
            int oo = outOffset + v * d;
            float scale = inverseRms(x, xo, d, eps);
            int i = 0;
            int bound = F.loopBound(d);
            for (; i < bound; i += F.length()) {
                FloatVector.fromArray(F, x, xo + i).mul(scale).mul(FloatVector.fromArray(F, weight, i))
                        .intoArray(out, oo + i);
            }
            for (; i < d; i++) {
                out[oo + i] = x[xo + i] * scale * weight[i];
            }
        }
    }

    static float inverseRms(float[] x, int offset, int d, float eps) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(d);
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, offset + i);
            acc = v.fma(v, acc);
        }
        float ss = acc.reduceLanes(VectorOperators.ADD);
        for (; i < d; i++) {
            ss += x[offset + i] * x[offset + i];
        }
        return (float) (1.0 / Math.sqrt(ss / d + eps));
    }
}
