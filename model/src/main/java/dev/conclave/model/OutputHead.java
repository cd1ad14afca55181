package dev.conclave.model;

import dev.conclave.core.kernels.RmsNorm;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Matrix;

/** The end of the main model: {@code h = model.norm(x)}, then vocabulary logits {@code lm_head · h}. */
public final class OutputHead {

    private final float[] finalNorm;
    private final float eps;
    private final LmHead head;

    OutputHead(float[] finalNorm, float eps, LmHead head) {
        this.finalNorm = finalNorm;
        this.eps = eps;
        this.head = head;
    }

    public static OutputHead load(StageFactory f) {
        var c = f.config();
        Matrix lm = f.matrix("lm_head.weight").requireShape(c.vocabSize(), c.hiddenSize());
        return new OutputHead(f.vector("model.norm.weight"), (float) c.rmsNormEps(), new LmHead(lm));
    }

    public int vocab() {
        return head.vocab();
    }

    LmHead lmHead() {
        return head;
    }

    /** Final-normed hidden states of {@code rows} rows of the residual stream {@code x}. */
    public float[] normalize(float[] x, int rows) {
        float[] h = new float[rows * finalNorm.length];
        RmsNorm.apply(x, 0, finalNorm, eps, h, 0, rows);
        return h;
    }

    /** Logits [selected.length, vocab] for rows {@code selected} of final-normed {@code h}. */
    public float[] logits(float[] h, int[] selected, Parallel parallel) {
        return head.logits(h, selected, parallel);
    }
}
