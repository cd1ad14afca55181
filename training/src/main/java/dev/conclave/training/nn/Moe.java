package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;

import java.util.Arrays;

/**
 * The MoE block of one layer (model spec §4.2, training spec §5.6) on the post-attention-normed input m:
 * {@code y = Σ_{e∈T} g_e f_e(m) + f_shared(m)}. Each expert runs on the rows routed to it, gathered
 * (token-grouped, as the inference combine does) by its {@link RoutedExperts}, in this process or on the
 * node that owns it; its gate gradient is {@code dg_e = ⟨dy, f_e(m)⟩} and its output gradient
 * {@code g_e·dy}. The shared expert gets dy unscaled.
 */
public final class Moe {

    private final Router router;
    private final RoutedExperts experts;
    private final SwiGlu shared;
    private final ExpertRouting routing;
    private final int hidden;
    private final int k;

    private final double[][] outs;
    private final double[][] grads;
    private final double[][] dIns;
    private double[] sharedOut = new double[0];
    private double[] dg = new double[0];
    private int n;

    /** The block of {@code layer} whose tensors are named {@code prefix + "gate."} etc.; experts from the factory. */
    public Moe(ModelConfig c, ParamSet params, String prefix, int layer, ExpertsFactory factory) {
        this.hidden = c.hiddenSize();
        this.k = c.numExpertsPerTok();
        this.router = new Router(c, params, prefix + "gate.");
        int e = c.nRoutedExperts();
        this.experts = factory.create(layer, c, params, prefix);
        this.shared = c.nSharedExperts() > 0
                ? new SwiGlu(params, prefix + "shared_experts.", hidden, c.sharedExpertWidth()) : null;
        this.routing = new ExpertRouting(e, k);
        this.outs = new double[e][0];
        this.grads = new double[e][0];
        this.dIns = new double[e][0];
    }

    public Router router() { return router; }

    /** {@code y[n×H] = MoE(m)}; m must stay unchanged until {@link #backward}. See {@link Router#forward}. */
    public void forward(double[] m, Documents docs, boolean[] counted, double[] y, Parallel p) {
        n = docs.rows();
        router.forward(m, docs, counted, p);
        routing.group(router, n);
        if (dg.length < n * k) {
            dg = new double[n * k];
        }
        for (int e = 0; e < outs.length; e++) {
            ensure(e, routing.count(e));
        }
        experts.forward(routing, m, outs, p);
        Arrays.fill(y, 0, n * hidden, 0);
        for (int e = 0; e < outs.length; e++) {
            for (int r = 0; r < routing.count(e); r++) {
                int a = routing.assignment(routing.offset(e) + r);
                Gemm.axpy(router.gateOf(a / k, a % k), outs[e], r * hidden, y, (a / k) * hidden, hidden);
            }
        }
        if (shared != null) {
            if (sharedOut.length < n * hidden) {
                sharedOut = new double[n * hidden];
            }
            shared.forward(m, n, sharedOut, p);
            for (int i = 0; i < n * hidden; i++) {
                y[i] += sharedOut[i];
            }
        }
    }

    /** Accumulates every parameter gradient and {@code dm += ∂L/∂m}; auxWeight as in {@link Router#backward}. */
    public void backward(double[] dy, double auxWeight, double[] dm, Parallel p) {
        for (int e = 0; e < outs.length; e++) {
            double[] dOut = grads[e];
            for (int r = 0; r < routing.count(e); r++) {
                int a = routing.assignment(routing.offset(e) + r);
                int t = a / k;
                dg[a] = Gemm.dot(dy, t * hidden, outs[e], r * hidden, hidden);
                double g = router.gateOf(t, a % k);
                for (int j = 0; j < hidden; j++) {
                    dOut[r * hidden + j] = g * dy[t * hidden + j];
                }
            }
        }
        experts.backward(routing, grads, dIns, p);
        for (int e = 0; e < outs.length; e++) {
            for (int r = 0; r < routing.count(e); r++) {
                Gemm.axpy(1, dIns[e], r * hidden, dm, routing.token(e, r) * hidden, hidden);
            }
        }
        if (shared != null) {
            shared.backward(dy, dm, p);
        }
        router.backward(dg, auxWeight, dm, p);
    }

    private void ensure(int e, int rows) {
        if (outs[e].length < rows * hidden) {
            int size = Math.max(rows * hidden, 2 * outs[e].length);
            outs[e] = new double[size];
            grads[e] = new double[size];
            dIns[e] = new double[size];
        }
    }
}
