package dev.conclave.core.kernels;

/** Element-wise activation math shared by the stages. */
public final class Activations {

    private Activations() {
    }

    public static float silu(float z) {
        return z / (1f + (float) Math.exp(-z));
    }

    public static float sigmoid(float z) {
        return 1f / (1f + (float) Math.exp(-z));
    }

    /** SwiGLU's gating: {@code gate[i] ← SiLU(gate[i]) · up[i]} over {@code n} elements. */
    public static void siluMul(float[] gate, int gateOffset, float[] up, int upOffset, int n) {
        for (int i = 0; i < n; i++) {
            gate[gateOffset + i] = silu(gate[gateOffset + i]) * up[upOffset + i];
        }
    }
}
