package dev.conclave.experts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.conclave.router.DispatchPlan;
import org.junit.jupiter.api.Test;

/**
 * {@code x_t ← x_t + Σ_k w_{t,k} · Expert_{e_{t,k}}(m_t) + Shared(m_t)} on a hand-made 2-token, top-2 plan.
 * Expert e's output for token t is {@code [e + 1, 10 (t + 1)]}, placed at the plan's grouped position, so
 * a row read from the wrong place or weighted with the wrong slot shows in the result.
 */
class CombineTest {

    private static final int HIDDEN = 2;

    /** token 0 → expert 2 (w 0.5), expert 0 (w 2); token 1 → expert 1 (w 1.5), expert 2 (w 0.25). */
    private static DispatchPlan plan() {
        DispatchPlan plan = new DispatchPlan(4, 2);
        plan.reset(2);
        plan.set(0, 0, 2, 0.5f);
        plan.set(0, 1, 0, 2f);
        plan.set(1, 0, 1, 1.5f);
        plan.set(1, 1, 2, 0.25f);
        plan.group();
        return plan;
    }

    private static float[] expertOutputs(DispatchPlan plan) {
        float[] grouped = new float[plan.tokens() * plan.k() * HIDDEN];
        for (int p = 0; p < plan.tokens() * plan.k(); p++) {
            int a = plan.assignment(p);
            int t = a / plan.k();
            int e = plan.expert(t, a % plan.k());
            grouped[p * HIDDEN] = e + 1;
            grouped[p * HIDDEN + 1] = 10 * (t + 1);
        }
        return grouped;
    }

    /**
     * token 0: 0.5·[3, 10] + 2·[1, 10] = [3.5, 25]; token 1: 1.5·[2, 20] + 0.25·[3, 20] = [3.75, 35].
     */
    @Test
    void routedOutputsAreWeightedByTheirSlotsWeight() {
        DispatchPlan plan = plan();
        float[] x = new float[2 * HIDDEN];
        new Combine(2).apply(x, plan, expertOutputs(plan), null, HIDDEN);
        assertArrayEquals(new float[] {3.5f, 25f, 3.75f, 35f}, x);
    }

    /** The shared expert's [100, 200] / [300, 400] is added as is: no router weight, no scaling factor. */
    @Test
    void sharedExpertIsAddedUnweighted() {
        DispatchPlan plan = plan();
        float[] x = new float[2 * HIDDEN];
        float[] shared = {100, 200, 300, 400};
        new Combine(2).apply(x, plan, expertOutputs(plan), shared, HIDDEN);
        assertArrayEquals(new float[] {103.5f, 225f, 303.75f, 435f}, x);
    }

    /** The block output adds to the residual stream rather than replacing it. */
    @Test
    void resultIsAddedToTheResidual() {
        DispatchPlan plan = plan();
        float[] x = {1, 1, 2, 2};
        float[] shared = {100, 200, 300, 400};
        new Combine(2).apply(x, plan, expertOutputs(plan), shared, HIDDEN);
        assertArrayEquals(new float[] {104.5f, 226f, 305.75f, 437f}, x);
    }
}
