package dev.conclave.experts;

import dev.conclave.core.kernels.Rows;
import dev.conclave.router.DispatchPlan;

/**
 * A set of routed experts, each identified by (layer, expert id), that computes the rows a dispatch plan
 * sends to them. In one JVM a single shard hosts every expert; in a cluster each node's shard hosts the
 * experts its placement names.
 */
public final class ExpertShard {

    private final SwiGlu[][] experts;

    /** {@code experts[layer][e]} is the hosted expert, or null when another shard hosts it. */
    public ExpertShard(SwiGlu[][] experts) {
        this.experts = experts;
    }

    public boolean hosts(int layer, int expert) {
        return layer < experts.length && experts[layer] != null && experts[layer][expert] != null;
    }

    public SwiGlu expert(int layer, int expert) {
        return experts[layer][expert];
    }

    /**
     * Queues, for every hosted expert of {@code layer} with rows in {@code plan}, its rows of {@code m}
     * (gathered by token) into {@code batch}; outputs land in {@code grouped}, row p for grouped position
     * p of the plan.
     */
    public void enqueue(int layer, float[] m, DispatchPlan plan, float[] grouped, SwiGluBatch batch) {
        for (int e = 0; e < plan.experts(); e++) {
            int rows = plan.load(e);
            if (rows == 0 || !hosts(layer, e)) {
                continue;
            }
            SwiGlu mlp = experts[layer][e];
            int hidden = mlp.hidden();
            Rows x = batch.rowsForNextItem().gather(m, plan.groupedTokens(), plan.begin(e), plan.end(e), hidden);
            batch.add(mlp, x, grouped, plan.begin(e) * hidden);
        }
    }
}
