package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Routed experts in this process: expert e gathers its rows of m and runs its SwiGLU on them. Experts are
 * small, so each runs whole on one thread: the experts are cut into one contiguous run per thread with
 * about equal routed rows, and a step needs one parallel region instead of several per expert.
 *
 * <p>A partial set ({@link #hosting}) holds only some experts and runs only their rows: the others' rows
 * are left to the experts' owners (see the training supervisor's remote experts).
 */
public final class LocalExperts implements RoutedExperts {

    private static final Parallel SERIAL = Parallel.serial();

    private final SwiGlu[] experts;
    private final int hidden;
    private final double[][] xs;
    private int[] teamBound = new int[0];

    private LocalExperts(SwiGlu[] experts, int hidden) {
        this.experts = experts;
        this.hidden = hidden;
        this.xs = new double[experts.length][0];
    }

    /** Every routed expert of the block, its params {@code prefix + "experts.{e}."} created in params. */
    public static LocalExperts all(ModelConfig c, ParamSet params, String prefix) {
        return hosting(c, params, prefix, e -> true);
    }

    /** The experts e with {@code hosted.test(e)}, in expert order. */
    public static LocalExperts hosting(ModelConfig c, ParamSet params, String prefix, IntPredicate hosted) {
        SwiGlu[] experts = new SwiGlu[c.nRoutedExperts()];
        for (int e = 0; e < experts.length; e++) {
            if (hosted.test(e)) {
                experts[e] = new SwiGlu(params, prefix + "experts." + e + ".", c.hiddenSize(), c.moeIntermediateSize());
            }
        }
        return new LocalExperts(experts, c.hiddenSize());
    }

    public boolean hosts(int e) {
        return experts[e] != null;
    }

    @Override
    public void forward(ExpertRouting routing, double[] m, double[][] outs, Parallel p) {
        balanceTeam(routing, p.threads());
        p.forRange(p.threads(), (from, to) -> {
            for (int e = teamBound[from]; e < teamBound[to]; e++) {
                if (experts[e] != null && routing.count(e) > 0) {
                    expertForward(routing, m, e, outs[e]);
                }
            }
        });
    }

    private void expertForward(ExpertRouting routing, double[] m, int e, double[] out) {
        int rows = routing.count(e);
        if (xs[e].length < rows * hidden) {
            xs[e] = new double[Math.max(rows * hidden, 2 * xs[e].length)];
        }
        double[] x = xs[e];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(m, routing.token(e, r) * hidden, x, r * hidden, hidden);
        }
        experts[e].forward(x, rows, out, SERIAL);
    }

    @Override
    public void backward(ExpertRouting routing, double[][] dOut, double[][] dIn, Parallel p) {
        balanceTeam(routing, p.threads());
        p.forRange(p.threads(), (from, to) -> {
            for (int e = teamBound[from]; e < teamBound[to]; e++) {
                int rows = routing.count(e);
                if (experts[e] != null && rows > 0) {
                    Arrays.fill(dIn[e], 0, rows * hidden, 0);
                    experts[e].backward(dOut[e], dIn[e], SERIAL);
                }
            }
        });
    }

    private void balanceTeam(ExpertRouting routing, int threads) {
        if (teamBound.length != threads + 1) {
            teamBound = new int[threads + 1];
        }
        int total = routing.offset(experts.length);
        int e = 0;
        for (int w = 1; w < threads; w++) {
            long target = (long) total * w / threads;
            while (e < experts.length && routing.offset(e + 1) <= target) {
                e++;
            }
            teamBound[w] = e;
        }
        teamBound[0] = 0;
        teamBound[threads] = experts.length;
    }
}
