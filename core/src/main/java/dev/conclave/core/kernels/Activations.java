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

    /** In-place softmax over {@code x[offset .. offset+n)} with the max subtracted first. */
    public static void softmax(float[] x, int offset, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[offset + i] *= inv;
        }
    }
}
