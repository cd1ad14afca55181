package dev.conclave.model;

import dev.conclave.core.kernels.LinearBatch;
import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Matrix;

/** Vocabulary logits {@code W_lm · h} for selected rows of final-normed hidden states. */
final class LmHead {

    private final Matrix weight;
    private final Rows rows = new Rows();
    private final LinearBatch batch = new LinearBatch();
    private float[] gathered = new float[0];

    LmHead(Matrix weight) {
        this.weight = weight;
    }

    int vocab() {
        return weight.rows();
    }

    /** Logits [selected.length, vocab] for rows {@code selected} of {@code h} ([*, hidden]). */
    float[] logits(float[] h, int[] selected, Parallel parallel) {
        int hidden = weight.cols();
        if (gathered.length < selected.length * hidden) {
            gathered = new float[selected.length * hidden];
        }
        for (int i = 0; i < selected.length; i++) {
            System.arraycopy(h, selected[i] * hidden, gathered, i * hidden, hidden);
        }
        rows.load(gathered, selected.length, hidden);
        float[] out = new float[selected.length * vocab()];
        batch.clear().add(weight, rows, out, 0, vocab()).run(parallel);
        return out;
    }
}
