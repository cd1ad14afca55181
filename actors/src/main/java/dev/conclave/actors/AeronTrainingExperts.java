package dev.conclave.actors;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.router.DispatchPlan;
import dev.conclave.training.nn.ExpertRouting;
import dev.conclave.training.nn.ExpertsFactory;
import dev.conclave.training.nn.LocalExperts;
import dev.conclave.training.nn.RoutedExperts;

/**
 * The routed experts of one MoE layer as the training supervisor sees them: the experts its own node owns
 * run here ({@link LocalExperts}, params in the supervisor's model); the others' rows travel over the Aeron
 * data plane to their owners' {@link TrainingExperts}: token rows forward, and in the backward the gradients
 * of their outputs (already scaled by the mixing weights) in grouped order, the combine and dispatch in
 * reverse. The grouped order is the dispatch plan's, which is {@link ExpertRouting}'s.
 */
final class AeronTrainingExperts implements RoutedExperts {

    /** The (step, layer) exchange ids of one dispatcher: they must never repeat. */
    private static final class Exchanges {
        long last;
    }

    private final int layer;
    private final LocalExperts local;
    private final ExpertDispatcher dispatcher;
    private final Exchanges exchanges;
    private final int[] owners;
    private final int self;
    private final int hidden;
    private final DispatchPlan plan;
    private float[] rows = new float[0];
    private float[] grouped = new float[0];

    private AeronTrainingExperts(int layer, LocalExperts local, ExpertDispatcher dispatcher, Exchanges exchanges,
                                 int[] owners, int self, int hidden, int k) {
        this.layer = layer;
        this.local = local;
        this.dispatcher = dispatcher;
        this.exchanges = exchanges;
        this.owners = owners;
        this.self = self;
        this.hidden = hidden;
        this.plan = new DispatchPlan(owners.length, k);
    }

    /** The experts of every MoE layer for the supervisor on node {@code self}, sharing one dispatcher. */
    static ExpertsFactory factory(ExpertDispatcher dispatcher, TrainingOwners owners, int self) {
        Exchanges exchanges = new Exchanges();
        return (layer, c, params, prefix) -> new AeronTrainingExperts(layer,
                LocalExperts.hosting(c, params, prefix, e -> owners.owns(self, layer, e)), dispatcher, exchanges,
                owners.of(layer), self, c.hiddenSize(), c.numExpertsPerTok());
    }

    @Override
    public void forward(ExpertRouting routing, double[] m, double[][] outs, Parallel p) {
        int n = routing.tokens();
        plan.reset(n);
        for (int e = 0; e < routing.experts(); e++) {
            for (int r = 0; r < routing.count(e); r++) {
                int a = routing.assignment(routing.offset(e) + r);
                plan.set(a / routing.k(), a % routing.k(), e, (float) routing.gate(a / routing.k(), a % routing.k()));
            }
        }
        plan.group();
        ensure(n * hidden, routing.offset(routing.experts()) * hidden);
        for (int i = 0; i < n * hidden; i++) {
            rows[i] = (float) m[i];
        }
        dispatcher.dispatch(++exchanges.last, layer, plan, rows, hidden, owners);
        local.forward(routing, m, outs, p);
        dispatcher.combine(grouped);
        copyRemote(routing, grouped, outs);
    }

    @Override
    public void backward(ExpertRouting routing, double[][] dOut, double[][] dIn, Parallel p) {
        for (int e = 0; e < routing.experts(); e++) {
            if (owners[e] != self) {
                int at = routing.offset(e) * hidden;
                for (int i = 0; i < routing.count(e) * hidden; i++) {
                    grouped[at + i] = (float) dOut[e][i];
                }
            }
        }
        dispatcher.dispatchBackward(++exchanges.last, layer, plan, grouped, hidden, owners);
        local.backward(routing, dOut, dIn, p);
        dispatcher.combine(grouped);
        copyRemote(routing, grouped, dIn);
    }

    /** Remote experts' rows of {@code grouped} into their per-expert buffers. */
    private void copyRemote(ExpertRouting routing, float[] grouped, double[][] perExpert) {
        for (int e = 0; e < routing.experts(); e++) {
            if (owners[e] != self) {
                int at = routing.offset(e) * hidden;
                for (int i = 0; i < routing.count(e) * hidden; i++) {
                    perExpert[e][i] = grouped[at + i];
                }
            }
        }
    }

    private void ensure(int tokenValues, int groupedValues) {
        if (rows.length < tokenValues) {
            rows = new float[tokenValues];
        }
        if (grouped.length < groupedValues) {
            grouped = new float[groupedValues];
        }
    }
}
