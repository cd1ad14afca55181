package dev.conclave.model;

import dev.conclave.experts.ExpertShard;
import dev.conclave.experts.SwiGluBatch;
import dev.conclave.router.DispatchPlan;

/** Routed experts computed in this JVM by one shard, in the same parallel regions as the shared expert. */
public record ShardExperts(ExpertShard shard) implements RoutedExperts {

    @Override
    public void begin(int layer, float[] m, DispatchPlan plan, float[] grouped, SwiGluBatch batch) {
        shard.enqueue(layer, m, plan, grouped, batch);
    }

    @Override
    public void finish() {
    }
}
