package dev.conclave.experts;

import dev.conclave.core.kernels.Activations;
import dev.conclave.core.kernels.LinearBatch;
import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates several SwiGLU MLPs, each on its own block of rows, in two parallel regions: every gate and
 * up product first, then every down product. Routed experts and the shared expert of a layer go into one
 * batch, so a decode step synchronises twice per MoE layer rather than three times per expert.
 */
public final class SwiGluBatch {

    private final List<SwiGlu> mlps = new ArrayList<>();
    private final List<Rows> inputs = new ArrayList<>();
    private final List<float[]> outputs = new ArrayList<>();
    private final List<Integer> outputOffsets = new ArrayList<>();
    private final List<Rows> pool = new ArrayList<>();
    private final List<Rows> innerPool = new ArrayList<>();
    private final LinearBatch linear = new LinearBatch();
    private float[][] gate = new float[0][];
    private float[][] up = new float[0][];

    public void clear() {
        mlps.clear();
        inputs.clear();
        outputs.clear();
        outputOffsets.clear();
    }

    /**
     * A reusable row buffer for the next item's input; callers fill it (load or gather) and pass it to
     * {@link #add}.
     */
    public Rows rowsForNextItem() {
        int i = mlps.size();
        while (pool.size() <= i) {
            pool.add(new Rows());
        }
        return pool.get(i);
    }

    /** Queues {@code out[outOffset + i·hidden ..] = mlp(x_i)} for every row i of {@code x}. */
    public void add(SwiGlu mlp, Rows x, float[] out, int outOffset) {
        mlps.add(mlp);
        inputs.add(x);
        outputs.add(out);
        outputOffsets.add(outOffset);
    }

    public void run(Parallel parallel) {
        int n = mlps.size();
        if (n == 0) {
            return;
        }
        ensure(n);
        linear.clear();
        for (int i = 0; i < n; i++) {
            SwiGlu mlp = mlps.get(i);
            int need = inputs.get(i).n() * mlp.width();
            if (gate[i] == null || gate[i].length < need) {
                gate[i] = new float[need];
                up[i] = new float[need];
            }
            linear.add(mlp.gateProj(), inputs.get(i), gate[i], 0, mlp.width());
            linear.add(mlp.upProj(), inputs.get(i), up[i], 0, mlp.width());
        }
        linear.run(parallel);
        linear.clear();
        for (int i = 0; i < n; i++) {
            SwiGlu mlp = mlps.get(i);
            int rows = inputs.get(i).n();
            Activations.siluMul(gate[i], 0, up[i], 0, rows * mlp.width());
            Rows inner = innerPool.get(i).load(gate[i], rows, mlp.width());
            linear.add(mlp.downProj(), inner, outputs.get(i), outputOffsets.get(i), mlp.hidden());
        }
        linear.run(parallel);
    }

    private void ensure(int n) {
        if (gate.length < n) {
            gate = java.util.Arrays.copyOf(gate, n);
            up = java.util.Arrays.copyOf(up, n);
        }
        while (innerPool.size() < n) {
            innerPool.add(new Rows());
        }
    }
}
