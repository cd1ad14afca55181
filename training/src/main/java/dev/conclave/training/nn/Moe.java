package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;

import java.util.Arrays;

/**
 * The MoE block of one layer (model spec §4.2, training spec §5.6) on the post-attention-normed input m:
 * {@code y = Σ_{e∈T} g_e f_e(m) + f_shared(m)}. Each expert runs on the rows routed to it, gathered
 * (token-grouped, as the inference combine does); its gate gradient is {@code dg_e = ⟨dy, f_e(m)⟩} and its
 * output gradient {@code g_e·dy}. The shared expert gets dy unscaled.
 */
public final class Moe {

    private static final Parallel SERIAL = Parallel.serial();

    private final Router router;
    private final SwiGlu[] experts;
    private final SwiGlu shared;
    private final int hidden;
    private final int k;

    private final int[] count;
    private final int[] offset;
    private final int[] cursor;
    private int[] assignment = new int[0];
    private final double[][] xs;
    private final double[][] outs;
    private final double[][] grads;
    private double[] sharedOut = new double[0];
    private double[] dg = new double[0];
    private int[] teamBound = new int[0];
    private int n;

    public Moe(ModelConfig c, ParamSet params, String prefix) {
        this.hidden = c.hiddenSize();
        this.k = c.numExpertsPerTok();
        this.router = new Router(c, params, prefix + "gate.");
        int e = c.nRoutedExperts();
        this.experts = new SwiGlu[e];
        for (int i = 0; i < e; i++) {
            experts[i] = new SwiGlu(params, prefix + "experts." + i + ".", hidden, c.moeIntermediateSize());
        }
        this.shared = c.nSharedExperts() > 0
                ? new SwiGlu(params, prefix + "shared_experts.", hidden, c.sharedExpertWidth()) : null;
        this.count = new int[e];
        this.offset = new int[e + 1];
        this.cursor = new int[e];
        this.xs = new double[e][0];
        this.outs = new double[e][0];
        this.grads = new double[e][0];
    }

    public Router router() { return router; }

    /** {@code y[n×H] = MoE(m)}; m must stay unchanged until {@link #backward}. See {@link Router#forward}. */
    public void forward(double[] m, Documents docs, boolean[] counted, double[] y, Parallel p) {
        n = docs.rows();
        router.forward(m, docs, counted, p);
        groupByExpert();
        balanceTeam(p.threads());
        p.forRange(p.threads(), (from, to) -> {
            for (int e = teamBound[from]; e < teamBound[to]; e++) {
                expertForward(m, e);
            }
        });
        Arrays.fill(y, 0, n * hidden, 0);
        for (int e = 0; e < experts.length; e++) {
            for (int r = 0; r < count[e]; r++) {
                int a = assignment[offset[e] + r];
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

    /** Gathers expert e's rows of m and runs the expert on them (on the calling thread). */
    private void expertForward(double[] m, int e) {
        int rows = count[e];
        if (rows == 0) {
            return;
        }
        ensure(e, rows);
        double[] x = xs[e];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(m, (assignment[offset[e] + r] / k) * hidden, x, r * hidden, hidden);
        }
        experts[e].forward(x, rows, outs[e], SERIAL);
    }

    /**
     * Cuts the experts into one contiguous run per thread with about equal routed rows: experts are small,
     * so each runs whole on one thread and a step needs one parallel region instead of several per expert.
     */
    private void balanceTeam(int threads) {
        if (teamBound.length != threads + 1) {
            teamBound = new int[threads + 1];
        }
        int total = offset[experts.length];
        int e = 0;
        for (int w = 1; w < threads; w++) {
            long target = (long) total * w / threads;
            while (e < experts.length && offset[e + 1] <= target) {
                e++;
            }
            teamBound[w] = e;
        }
        teamBound[0] = 0;
        teamBound[threads] = experts.length;
    }

    /** Slots {@code t·K + slot} sorted by expert, in token order inside each expert. */
    private void groupByExpert() {
        Arrays.fill(count, 0);
        for (int t = 0; t < n; t++) {
            for (int slot = 0; slot < k; slot++) {
                count[router.expert(t, slot)]++;
            }
        }
        offset[0] = 0;
        for (int e = 0; e < experts.length; e++) {
            offset[e + 1] = offset[e] + count[e];
        }
        if (assignment.length < n * k) {
            assignment = new int[n * k];
            dg = new double[n * k];
        }
        System.arraycopy(offset, 0, cursor, 0, experts.length);
        for (int t = 0; t < n; t++) {
            for (int slot = 0; slot < k; slot++) {
                assignment[cursor[router.expert(t, slot)]++] = t * k + slot;
            }
        }
    }

    /** Accumulates every parameter gradient and {@code dm += ∂L/∂m}; auxWeight as in {@link Router#backward}. */
    public void backward(double[] dy, double auxWeight, double[] dm, Parallel p) {
        balanceTeam(p.threads());
        p.forRange(p.threads(), (from, to) -> {
            for (int e = teamBound[from]; e < teamBound[to]; e++) {
                expertBackward(dy, e);
            }
        });
        for (int e = 0; e < experts.length; e++) {
            for (int r = 0; r < count[e]; r++) {
                int t = assignment[offset[e] + r] / k;
                Gemm.axpy(1, outs[e], r * hidden, dm, t * hidden, hidden);
            }
        }
        if (shared != null) {
            shared.backward(dy, dm, p);
        }
        router.backward(dg, auxWeight, dm, p);
    }

    /**
     * Expert e's gate gradients {@code dg = ⟨dy, f_e(m)⟩}, then its backward from {@code g·dy}; its input
     * gradient replaces its output in {@code outs[e]}.
     */
    private void expertBackward(double[] dy, int e) {
        int rows = count[e];
        if (rows == 0) {
            return;
        }
        double[] dOut = grads[e];
        for (int r = 0; r < rows; r++) {
            int a = assignment[offset[e] + r];
            int t = a / k;
            dg[a] = Gemm.dot(dy, t * hidden, outs[e], r * hidden, hidden);
            double g = router.gateOf(t, a % k);
            for (int j = 0; j < hidden; j++) {
                dOut[r * hidden + j] = g * dy[t * hidden + j];
            }
        }
        double[] dx = outs[e];
        Arrays.fill(dx, 0, rows * hidden, 0);
        experts[e].backward(dOut, dx, SERIAL);
    }

    private void ensure(int e, int rows) {
        if (xs[e].length < rows * hidden) {
            int size = Math.max(rows * hidden, 2 * xs[e].length);
            xs[e] = new double[size];
            outs[e] = new double[size];
            grads[e] = new double[size];
        }
    }
}
