package dev.conclave.actors;

import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.ExpertBlocks;
import dev.conclave.dispatch.ExpertCompute;
import dev.conclave.experts.ExpertShard;
import dev.conclave.experts.SwiGlu;
import dev.conclave.experts.SwiGluBatch;

/** An expert group's compute: every block of a dispatch message through its expert, in one batch. */
final class ShardCompute implements ExpertCompute {

    private final ExpertShard shard;
    private final Parallel parallel;
    private final SwiGluBatch batch = new SwiGluBatch();

    ShardCompute(ExpertShard shard, Parallel parallel) {
        this.shard = shard;
        this.parallel = parallel;
    }

    @Override
    public void compute(int layer, ExpertBlocks blocks, float[] in, float[] out, int hidden) {
        batch.clear();
        for (int b = 0; b < blocks.count(); b++) {
            int e = blocks.expert(b);
            if (!shard.hosts(layer, e)) {
                throw new IllegalArgumentException("expert " + e + " of layer " + layer + " is not hosted here");
            }
            SwiGlu mlp = shard.expert(layer, e);
            Rows x = batch.rowsForNextItem().load(in, blocks.firstRow(b) * hidden, blocks.rowCount(b), hidden);
            batch.add(mlp, x, out, blocks.firstRow(b) * hidden);
        }
        batch.run(parallel);
    }
}
