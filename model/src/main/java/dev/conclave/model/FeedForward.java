package dev.conclave.model;

import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.kernels.RmsNorm;
import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.experts.Combine;
import dev.conclave.experts.SwiGlu;
import dev.conclave.experts.SwiGluBatch;
import dev.conclave.router.DispatchPlan;
import dev.conclave.router.Router;

/** The second half of a decoder layer: {@code x ← x + FFN(post_attention_layernorm(x))}. */
public sealed interface FeedForward {

    void forward(float[] x, StepLayout layout, Scratch scratch, Parallel parallel);

    /** Buffers reused from step to step by all layers of one pipeline. */
    final class Scratch {
        final SwiGluBatch batch = new SwiGluBatch();
        float[] m = new float[0];
        float[] out = new float[0];
        float[] grouped = new float[0];

        void ensure(int rows, int hidden, int k) {
            if (m.length < rows * hidden) {
                m = new float[rows * hidden];
                out = new float[rows * hidden];
            }
            if (grouped.length < rows * k * hidden) {
                grouped = new float[rows * k * hidden];
            }
        }
    }

    /** Layers below {@code first_k_dense_replace}: one SwiGLU of width {@code intermediate_size}. */
    record Dense(float[] postAttentionLayernorm, float eps, SwiGlu mlp) implements FeedForward {
        @Override
        public void forward(float[] x, StepLayout layout, Scratch s, Parallel parallel) {
            int rows = layout.rows();
            int hidden = mlp.hidden();
            s.ensure(rows, hidden, 1);
            RmsNorm.apply(x, 0, postAttentionLayernorm, eps, s.m, 0, rows);
            s.batch.clear();
            Rows in = s.batch.rowsForNextItem().load(s.m, rows, hidden);
            s.batch.add(mlp, in, s.out, 0);
            s.batch.run(parallel);
            for (int i = 0; i < rows * hidden; i++) {
                x[i] += s.out[i];
            }
        }
    }

    /**
     * MoE layers: the router's plan sends rows to the routed experts; the shared expert runs meanwhile (in
     * the same parallel regions when the experts are local); combine adds both to the residual.
     */
    record Moe(int layer, Router router, DispatchPlan plan, RoutedExperts experts, SwiGlu shared, Combine combine)
            implements FeedForward {
        @Override
        public void forward(float[] x, StepLayout layout, Scratch s, Parallel parallel) {
            int rows = layout.rows();
            int hidden = shared.hidden();
            s.ensure(rows, hidden, plan.k());
            router.route(x, rows, s.m, plan, parallel);
            s.batch.clear();
            experts.begin(layer, s.m, plan, s.grouped, s.batch);
            Rows in = s.batch.rowsForNextItem().load(s.m, rows, hidden);
            s.batch.add(shared, in, s.out, 0);
            s.batch.run(parallel);
            experts.finish();
            combine.apply(x, plan, s.grouped, s.out, hidden);
        }
    }
}
