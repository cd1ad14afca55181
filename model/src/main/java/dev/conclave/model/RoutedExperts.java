package dev.conclave.model;

import dev.conclave.experts.SwiGluBatch;
import dev.conclave.router.DispatchPlan;

/**
 * Where a MoE layer's routed experts run. {@link #begin} hands the plan's rows to the experts and
 * {@link #finish} returns once every row's output sits in {@code grouped} (row p for grouped position p).
 * In between, the layer computes its shared expert: with remote experts the two overlap.
 */
public interface RoutedExperts {

    /**
     * Starts the experts of {@code layer} on the rows of {@code m} routed by {@code plan}. Experts that run
     * on this thread's device may be queued into {@code batch}, which the caller runs before {@link #finish}.
     */
    void begin(int layer, float[] m, DispatchPlan plan, float[] grouped, SwiGluBatch batch);

    /** Waits until every routed row's output is in {@code grouped}. */
    void finish();
}
