package dev.conclave.training.nn;

import java.util.Arrays;

/**
 * Weighted cross-entropy over the vocabulary with log-sum-exp (training spec §5.7): for row t with target
 * y_t and weight w_t, {@code loss += w_t (LSE_t − z_{t,y})} and {@code dz_t = w_t (softmax(z_t) − onehot(y_t))}.
 * Rows with weight 0 contribute nothing and get a zero gradient.
 */
public final class CrossEntropy {

    private CrossEntropy() {
    }

    /** The result over the rows: the weighted loss sum and how many weighted rows' argmax is the target. */
    public record Result(double loss, int correct) {
    }

    /** Writes {@code dLogits} (may be null to skip the gradient) and returns the weighted loss sum. */
    public static Result apply(double[] logits, int n, int vocab, int[] target, double[] weight, double[] dLogits) {
        double loss = 0;
        int correct = 0;
        for (int t = 0; t < n; t++) {
            int o = t * vocab;
            double w = weight[t];
            if (w == 0) {
                if (dLogits != null) {
                    Arrays.fill(dLogits, o, o + vocab, 0);
                }
                continue;
            }
            int arg = 0;
            for (int v = 1; v < vocab; v++) {
                if (logits[o + v] > logits[o + arg]) {
                    arg = v;
                }
            }
            double max = logits[o + arg];
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                double e = Math.exp(logits[o + v] - max);
                sum += e;
                if (dLogits != null) {
                    dLogits[o + v] = e;
                }
            }
            int y = target[t];
            loss += w * (max + Math.log(sum) - logits[o + y]);
            if (arg == y) {
                correct++;
            }
            if (dLogits != null) {
                double scale = w / sum;
                for (int v = 0; v < vocab; v++) {
                    dLogits[o + v] *= scale;
                }
                dLogits[o + y] -= w;
            }
        }
        return new Result(loss, correct);
    }
}
