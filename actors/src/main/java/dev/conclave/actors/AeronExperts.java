package dev.conclave.actors;

import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.experts.ExpertShard;
import dev.conclave.experts.SwiGluBatch;
import dev.conclave.model.RoutedExperts;
import dev.conclave.router.DispatchPlan;

/**
 * Routed experts seen from an attention stage: rows for experts its own node hosts run in the stage's
 * parallel regions (beside the shared expert); rows for the others travel over the Aeron data plane to
 * the node {@link ExpertRoutes} names and come back before combine.
 */
final class AeronExperts implements RoutedExperts {

    private final ExpertShard local;
    private final ExpertDispatcher dispatcher;
    private final ExpertRoutes routes;
    private final int hidden;
    private long exchange;
    private float[] grouped;

    AeronExperts(ExpertShard local, ExpertDispatcher dispatcher, ExpertRoutes routes, int hidden) {
        this.local = local;
        this.dispatcher = dispatcher;
        this.routes = routes;
        this.hidden = hidden;
    }

    @Override
    public void begin(int layer, float[] m, DispatchPlan plan, float[] grouped, SwiGluBatch batch) {
        // The dispatcher needs a fresh id per (step, layer) exchange to tell late replies apart.
        dispatcher.dispatch(++exchange, layer, plan, m, hidden, routes.peers(layer, plan));
        local.enqueue(layer, m, plan, grouped, batch);
        this.grouped = grouped;
    }

    @Override
    public void finish() {
        dispatcher.combine(grouped);
        grouped = null;
    }
}
