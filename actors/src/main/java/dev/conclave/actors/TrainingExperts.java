package dev.conclave.actors;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.ExpertBlocks;
import dev.conclave.dispatch.ExpertCompute;
import dev.conclave.training.Param;
import dev.conclave.training.loop.GrpoTrainer;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.nn.ParamSet;
import dev.conclave.training.nn.SwiGlu;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.optim.StepReport;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The routed experts one node owns for training, served over the data plane: float64 master weights under
 * their Hugging Face names, their gradients and their optimizer state live here. A FORWARD message runs each
 * block's expert and keeps its input and activations; the BACKWARD message of the same (layer, experts)
 * turns output gradients into input gradients and accumulates the weight gradients locally. Rows travel as
 * F32; the float64 math runs on their widened values.
 */
final class TrainingExperts implements ExpertCompute {

    /** One owned expert, the float64 rows of its last forward, and how many (-1: none awaits a backward). */
    private static final class Owned {
        final SwiGlu mlp;
        int forwardRows = -1;
        double[] x = new double[0];
        double[] y = new double[0];
        double[] dx = new double[0];

        Owned(SwiGlu mlp) {
            this.mlp = mlp;
        }

        void ensure(int values) {
            if (x.length < values) {
                x = new double[values];
                y = new double[values];
                dx = new double[values];
            }
        }
    }

    private static final Parallel SERIAL = Parallel.serial();
    private static final String STATE_MAGIC = "conclave-training-experts-v1";

    private final String node;
    private final int experts;
    private final ParamSet params = new ParamSet();
    private final Owned[][] owned;
    private final Optimizer optimizer;
    private final Parallel parallel;

    /**
     * The experts {@code owners} gives node {@code self}, their weights read from the checkpoint; with {@code rl}
     * the optimizer leaves out the MTP layer's experts, which RL freezes ({@link GrpoTrainer#rlParams}), so that
     * not even weight decay moves them.
     */
    TrainingExperts(String node, int self, Checkpoint checkpoint, TrainingOwners owners, OptimizerConfig config, boolean rl,
                    Parallel parallel) {
        ModelConfig c = checkpoint.config();
        this.node = node;
        this.experts = c.nRoutedExperts();
        this.parallel = parallel;
        this.owned = new Owned[c.numHiddenLayers() + 1][];
        for (int layer = 0; layer < owned.length; layer++) {
            boolean moe = layer == c.mtpLayerIndex() ? c.hasMtp() && checkpoint.hasMtp() : c.isMoeLayer(layer);
            if (!moe) {
                continue;
            }
            owned[layer] = new Owned[experts];
            for (int e = 0; e < experts; e++) {
                if (owners.owns(self, layer, e)) {
                    owned[layer][e] = new Owned(new SwiGlu(params, "model.layers." + layer + ".mlp.experts." + e + ".",
                            c.hiddenSize(), c.moeIntermediateSize()));
                }
            }
        }
        TrainableModel.loadValues(checkpoint, params.all());
        this.optimizer = new Optimizer(rl ? GrpoTrainer.rlParams(c, params.all()) : params.all(), config);
    }

    String node() {
        return node;
    }

    List<Param> params() {
        return params.all();
    }

    Optimizer optimizer() {
        return optimizer;
    }

    @Override
    public void compute(int layer, ExpertBlocks blocks, float[] in, float[] out, int hidden) {
        run(layer, blocks, in, out, hidden, true);
    }

    @Override
    public void backward(int layer, ExpertBlocks blocks, float[] dOut, float[] dIn, int hidden) {
        run(layer, blocks, dOut, dIn, hidden, false);
    }

    /** Each block on one thread: a block is one expert, whose buffers no other block touches. */
    private void run(int layer, ExpertBlocks blocks, float[] in, float[] out, int hidden, boolean forward) {
        Owned[] byExpert = layer >= 0 && layer < owned.length ? owned[layer] : null;
        for (int b = 0; b < blocks.count(); b++) {
            if (byExpert == null || byExpert[blocks.expert(b)] == null) {
                throw new IllegalArgumentException("node " + node + " does not own expert " + blocks.expert(b) + " of layer "
                        + layer + " for training");
            }
        }
        parallel.forRange(blocks.count(), (from, to) -> {
            for (int b = from; b < to; b++) {
                Owned o = byExpert[blocks.expert(b)];
                int rows = blocks.rowCount(b);
                int at = blocks.firstRow(b) * hidden;
                int values = rows * hidden;
                if (forward) {
                    o.ensure(values);
                    widen(in, at, o.x, values);
                    o.mlp.forward(o.x, rows, o.y, SERIAL);
                    o.forwardRows = rows;
                    narrow(o.y, out, at, values);
                } else {
                    if (o.forwardRows != rows) {
                        throw new IllegalStateException("node " + node + ": backward of " + rows + " rows of expert "
                                + blocks.expert(b) + " of layer " + layer + ", whose last forward had " + o.forwardRows);
                    }
                    o.forwardRows = -1;
                    widen(in, at, o.y, values);
                    Arrays.fill(o.dx, 0, values, 0);
                    o.mlp.backward(o.y, o.dx, SERIAL);
                    narrow(o.dx, out, at, values);
                }
            }
        });
    }

    /** Σ g² over the owned params and the first non-finite one, this node's share of the global norm. */
    TrainingExpertGroup.GradShare gradShare() {
        return new TrainingExpertGroup.GradShare(node, optimizer.gradSquaredSum(), optimizer.nonFiniteParam());
    }

    /** The optimizer step at the global norm, then every owned gradient (the frozen ones' too) is zeroed. */
    StepReport step(double globalNorm, String nonFiniteParam) {
        StepReport r = optimizer.step(globalNorm, nonFiniteParam);
        params.all().forEach(Param::zeroGrad);
        return r;
    }

    /** This owner's master weights (name, values) and optimizer state, exactly, for a checkpoint. */
    byte[] state() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(STATE_MAGIC);
            List<Param> all = params.all();
            out.writeInt(all.size());
            for (Param p : all) {
                out.writeUTF(p.name());
                out.writeInt(p.size());
                for (double d : p.value()) {
                    out.writeLong(Double.doubleToRawLongBits(d));
                }
            }
            optimizer.writeState(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Restores what {@link #state} wrote; the params must be this owner's, by name and size. */
    void restore(byte[] state, String source) throws IOException {
        Map<String, double[]> values;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            values = readValues(in, source);
            List<Param> all = params.all();
            if (!values.keySet().equals(all.stream().map(Param::name).collect(Collectors.toSet()))) {
                throw new IOException(source + ": holds the experts " + values.keySet() + ", node " + node + " owns "
                        + all.stream().map(Param::name).toList());
            }
            for (Param p : all) {
                double[] v = values.get(p.name());
                if (v.length != p.size()) {
                    throw new IOException(source + ": " + p.name() + " has " + v.length + " values, the param " + p.size());
                }
                System.arraycopy(v, 0, p.value(), 0, v.length);
            }
            optimizer.readState(in, source);
        }
    }

    /** The master weights of a {@link #state}, by name. */
    static Map<String, double[]> values(byte[] state, String source) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            return readValues(in, source);
        }
    }

    private static Map<String, double[]> readValues(DataInputStream in, String source) throws IOException {
        String magic = in.readUTF();
        if (!magic.equals(STATE_MAGIC)) {
            throw new IOException(source + ": not a training expert group's state (starts with '" + magic + "')");
        }
        int count = in.readInt();
        Map<String, double[]> values = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = in.readUTF();
            double[] v = new double[in.readInt()];
            for (int j = 0; j < v.length; j++) {
                v[j] = Double.longBitsToDouble(in.readLong());
            }
            values.put(name, v);
        }
        return values;
    }

    private static void widen(float[] src, int at, double[] dst, int values) {
        for (int i = 0; i < values; i++) {
            dst[i] = src[at + i];
        }
    }

    private static void narrow(double[] src, float[] dst, int at, int values) {
        for (int i = 0; i < values; i++) {
            dst[at + i] = (float) src[i];
        }
    }
}
