package dev.conclave.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise activation math shared by the stages. */
public final class Activations {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Activations() {
    }

    public static float silu(float z) {
        return z / (1f + (float) Math.exp(-z));
    }

    public static float sigmoid(float z) {
        return 1f / (1f + (float) Math.exp(-z));
    }

    /**
     * SwiGLU's gating: {@code gate[i] ← SiLU(gate[i]) · up[i]} over {@code n} elements. Vectorised because a
     * scalar exp per element is a tenth of a small model's decode step; the vector exp is within an ulp of
     * {@link Math#exp}.
     */
    public static void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector z = FloatVector.fromArray(F, gate, gateOffset + i);
            FloatVector silu = z.div(z.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(FloatVector.fromArray(F, up, upOffset + i)).intoArray(gate, gateOffset + i);
        }
        for (; i < n; i++) {
            gate[gateOffset + i] = silu(gate[gateOffset + i]) * up[upOffset + i];
        }
    }

    /**
     * A softmax numerator in place: {@code a[i] ← exp(a[i] − max)} over {@code n} elements; returns their sum.
     * Vectorised for the same reason as {@link #siluMul}: attention takes one exp per cached position.
     */
    public static float expShifted(float[] a, int n, float max) {
        FloatVector sums = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector e = FloatVector.fromArray(F, a, i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(a, i);
            sums = sums.add(e);
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            a[i] = (float) Math.exp(a[i] - max);
            sum += a[i];
        }
        return sum;
    }
}
