package dev.conclave.experts;

import dev.conclave.router.DispatchPlan;

/**
 * Folds a MoE layer's results back into the residual stream:
 * {@code x_t ← x_t + (Σ_k w_{t,k} · Expert_{e_{t,k}}(m_t) + Shared(m_t))}. The routed sum runs in
 * ascending expert id, the order Hugging Face accumulates in, so float32 results track it closely.
 */
public final class Combine {

    private final int[] slots;

    public Combine(int k) {
        this.slots = new int[k];
    }

    /**
     * @param grouped expert outputs, row p for grouped position p of the plan
     * @param shared  the shared expert's output per token, or null when the model has none
     */
    public void apply(float[] x, DispatchPlan plan, float[] grouped, float[] shared, int hidden) {
        int k = plan.k();
        for (int t = 0; t < plan.tokens(); t++) {
            sortSlotsByExpert(plan, t, k);
            int xo = t * hidden;
            for (int i = 0; i < hidden; i++) {
                float y = 0f;
                for (int j = 0; j < k; j++) {
                    int s = slots[j];
                    y += grouped[plan.groupedPosition(t, s) * hidden + i] * plan.weight(t, s);
                }
                if (shared != null) {
                    y += shared[xo + i];
                }
                x[xo + i] += y;
            }
        }
    }

    private void sortSlotsByExpert(DispatchPlan plan, int t, int k) {
        for (int s = 0; s < k; s++) {
            int j = s;
            while (j > 0 && plan.expert(t, slots[j - 1]) > plan.expert(t, s)) {
                slots[j] = slots[j - 1];
                j--;
            }
            slots[j] = s;
        }
    }
}
