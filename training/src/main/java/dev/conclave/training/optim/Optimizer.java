package dev.conclave.training.optim;

import dev.conclave.training.Param;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training step over a model's params (training spec §3): partitions them between {@link Muon} and
 * {@link AdamW}, skips the step when any gradient is NaN/Inf, clips to the global norm, and applies both
 * optimizers at the scheduled LR. {@code e_score_correction_bias} is not an optimizer parameter (it moves by
 * the loss-free balancing rule, spec §4.1), so it is left out even when given.
 */
public final class Optimizer {

    private static final String STATE_MAGIC = "conclave-optimizer-v1";

    private final List<Param> params;
    private final OptimizerConfig config;
    private final Muon muon;
    private final AdamW adamw;
    private long step;

    public Optimizer(List<Param> params, OptimizerConfig config) {
        this.config = config;
        List<Param> trained = new ArrayList<>();
        List<Param> matrices = new ArrayList<>();
        List<Param> rest = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Param p : params) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("param " + p.name() + " given twice");
            }
            if (p.name().endsWith("e_score_correction_bias")) {
                continue;
            }
            trained.add(p);
            boolean matrix = p.kind() == Param.Kind.MATRIX
                    && (config.muonForRouter() || !p.name().endsWith("mlp.gate.weight"));
            boolean toMuon = config.useMuon() && (matrix || p.kind() == Param.Kind.HEAD && config.muonForHead());
            (toMuon ? matrices : rest).add(p);
        }
        this.params = List.copyOf(trained);
        this.muon = new Muon(matrices, config.muon());
        this.adamw = new AdamW(rest, config.adamw());
    }

    /** The params this optimizer updates (all given ones but the correction biases). */
    public List<Param> params() {
        return params;
    }

    public List<Param> muonParams() {
        return muon.params();
    }

    public List<Param> adamwParams() {
        return adamw.params();
    }

    /** Optimizer steps taken so far; skipped steps do not count. */
    public long stepsTaken() {
        return step;
    }

    /**
     * One optimizer step from the accumulated gradients. Gradients are clipped in place and left for the
     * caller to zero ({@link #zeroGrad()}); a skipped step changes no value, no state and no step count.
     */
    public StepReport step() {
        Param bad = GradientClipping.firstNonFinite(params);
        return bad != null ? step(Double.NaN, bad.name()) : step(GradientClipping.globalNorm(params), null);
    }

    /**
     * The step of one owner of a model split among several (the training supervisor and the expert groups):
     * its gradients are clipped to the global norm over every owner's {@link #gradSquaredSum}, and when some
     * owner's {@link #nonFiniteParam} is not null every owner skips with that name.
     */
    public StepReport step(double globalNorm, String nonFiniteParam) {
        long next = step + 1;
        double lr = config.schedule().lr(next);
        if (nonFiniteParam != null) {
            return new StepReport(next, lr, Double.NaN, nonFiniteParam);
        }
        GradientClipping.scale(params, globalNorm, config.maxGradNorm());
        muon.step(lr);
        adamw.step(lr);
        step = next;
        return new StepReport(next, lr, globalNorm, null);
    }

    /** Σ g² over this optimizer's params. */
    public double gradSquaredSum() {
        return GradientClipping.squaredSum(params);
    }

    /** The first param with a NaN/Inf gradient, or null. */
    public String nonFiniteParam() {
        Param bad = GradientClipping.firstNonFinite(params);
        return bad == null ? null : bad.name();
    }

    public void zeroGrad() {
        params.forEach(Param::zeroGrad);
    }

    /** Writes the step count and every moment buffer exactly (raw float64), for resuming. */
    public void writeState(DataOutput out) throws IOException {
        out.writeUTF(STATE_MAGIC);
        out.writeLong(step);
        out.writeLong(adamw.t());
        Map<String, double[]> buffers = buffers();
        out.writeInt(buffers.size());
        for (Map.Entry<String, double[]> e : buffers.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue().length);
            for (double d : e.getValue()) {
                out.writeLong(Double.doubleToRawLongBits(d));
            }
        }
    }

    /**
     * Restores what {@link #writeState} wrote, into an optimizer over the same params and partition; any
     * mismatch (a missing or extra buffer, a different size) is an error naming the buffer.
     */
    public void readState(DataInput in, String source) throws IOException {
        String magic = in.readUTF();
        if (!magic.equals(STATE_MAGIC)) {
            throw new IOException(source + ": not an optimizer state (starts with '" + magic + "')");
        }
        long steps = in.readLong();
        long adamT = in.readLong();
        Map<String, double[]> buffers = buffers();
        int count = in.readInt();
        if (count != buffers.size()) {
            throw new IOException(source + ": holds " + count + " optimizer buffers, this optimizer has "
                    + buffers.size() + " (different params or Muon/AdamW partition)");
        }
        Set<String> seen = new HashSet<>();
        for (int b = 0; b < count; b++) {
            String name = in.readUTF();
            double[] target = buffers.get(name);
            if (target == null || !seen.add(name)) {
                throw new IOException(source + ": optimizer buffer '" + name + "' is unknown to this optimizer or repeated");
            }
            int length = in.readInt();
            if (length != target.length) {
                throw new IOException(source + ": optimizer buffer '" + name + "' has " + length
                        + " values, the param has " + target.length);
            }
            for (int i = 0; i < length; i++) {
                target[i] = Double.longBitsToDouble(in.readLong());
            }
        }
        step = steps;
        adamw.restoreT(adamT);
    }

    /** Every state buffer under a unique key: the optimizer's moment name, then the param name. */
    private Map<String, double[]> buffers() {
        Map<String, double[]> all = new LinkedHashMap<>();
        muon.state().forEach((name, m) -> all.put("muon.momentum/" + name, m));
        adamw.firstMoments().forEach((name, m) -> all.put("adamw.m/" + name, m));
        adamw.secondMoments().forEach((name, v) -> all.put("adamw.v/" + name, v));
        return all;
    }
}
