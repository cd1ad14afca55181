package dev.conclave.router;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.kernels.Activations;
import dev.conclave.core.kernels.LinearBatch;
import dev.conclave.core.kernels.RmsNorm;
import dev.conclave.core.kernels.Rows;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Matrix;

/**
 * The MoE router of one layer (spec §4.2): post-attention RMSNorm, then per token
 * <ol>
 *   <li>gate logits {@code z = G·m} in fp32 and scores {@code s = sigmoid(z)};</li>
 *   <li>selection scores {@code c = s + e_score_correction_bias}, used only to choose experts;</li>
 *   <li>when {@code n_group > 1}, only experts in the {@code topk_group} groups with the largest sum of
 *       their two best selection scores stay eligible;</li>
 *   <li>the K best eligible experts by c (ties to the lower id);</li>
 *   <li>weights from the unbiased s, renormalised to sum 1 if {@code norm_topk_prob}, times
 *       {@code routed_scaling_factor}.</li>
 * </ol>
 */
public final class Router {

    /** Router weights as named in the checkpoint. */
    public record Weights(float[] postAttentionLayernorm, Matrix gate, float[] eScoreCorrectionBias) {
    }

    private final ModelConfig config;
    private final Weights w;
    private final float eps;
    private final int experts;
    private final int k;
    private final int groups;
    private final int groupSize;

    private final Rows normed = new Rows();
    private final LinearBatch batch = new LinearBatch();
    private float[] logits = new float[0];
    private final float[] selection;
    private final boolean[] eligible;
    private final float[] groupScore;
    private final boolean[] groupKept;

    public Router(ModelConfig config, Weights weights) {
        weights.gate().requireShape(config.nRoutedExperts(), config.hiddenSize());
        if (weights.eScoreCorrectionBias().length != config.nRoutedExperts()) {
            throw new IllegalArgumentException("e_score_correction_bias has " + weights.eScoreCorrectionBias().length
                    + " entries, expected " + config.nRoutedExperts());
        }
        this.config = config;
        this.w = weights;
        this.eps = (float) config.rmsNormEps();
        this.experts = config.nRoutedExperts();
        this.k = config.numExpertsPerTok();
        this.groups = config.nGroup();
        this.groupSize = experts / groups;
        this.selection = new float[experts];
        this.eligible = new boolean[experts];
        this.groupScore = new float[groups];
        this.groupKept = new boolean[groups];
    }

    public DispatchPlan newPlan() {
        return new DispatchPlan(experts, k);
    }

    /**
     * Normalises {@code rows} rows of the residual {@code x} into {@code m} (the experts' input) and fills
     * {@code plan} with each row's experts and weights.
     */
    public void route(float[] x, int rows, float[] m, DispatchPlan plan, Parallel parallel) {
        int hidden = config.hiddenSize();
        RmsNorm.apply(x, 0, w.postAttentionLayernorm(), eps, m, 0, rows);
        if (logits.length < rows * experts) {
            logits = new float[rows * experts];
        }
        normed.load(m, rows, hidden);
        batch.clear().add(w.gate(), normed, logits, 0, experts).run(parallel);
        plan.reset(rows);
        for (int t = 0; t < rows; t++) {
            select(logits, t * experts, t, plan);
        }
        plan.group();
    }

    private void select(float[] z, int offset, int token, DispatchPlan plan) {
        float[] bias = w.eScoreCorrectionBias();
        for (int e = 0; e < experts; e++) {
            selection[e] = Activations.sigmoid(z[offset + e]) + bias[e];
            eligible[e] = true;
        }
        if (groups > 1) {
            limitGroups();
        }
        float sum = 0f;
        for (int slot = 0; slot < k; slot++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (eligible[e] && (best < 0 || selection[e] > selection[best])) {
                    best = e;
                }
            }
            eligible[best] = false;
            float score = Activations.sigmoid(z[offset + best]);
            plan.set(token, slot, best, score);
            sum += score;
        }
        float norm = config.normTopkProb() ? 1f / (sum + 1e-20f) : 1f;
        float scaling = (float) config.routedScalingFactor();
        for (int slot = 0; slot < k; slot++) {
            plan.set(token, slot, plan.expert(token, slot), plan.weight(token, slot) * norm * scaling);
        }
    }

    /** Keeps the {@code topk_group} groups whose two best selection scores sum highest. */
    private void limitGroups() {
        for (int g = 0; g < groups; g++) {
            float first = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            for (int e = g * groupSize; e < (g + 1) * groupSize; e++) {
                float c = selection[e];
                if (c > first) {
                    second = first;
                    first = c;
                } else if (c > second) {
                    second = c;
                }
            }
            groupScore[g] = groupSize > 1 ? first + second : first;
        }
        boolean[] keep = groupKept;
        java.util.Arrays.fill(keep, false);
        for (int kept = 0; kept < config.topkGroup(); kept++) {
            int best = -1;
            for (int g = 0; g < groups; g++) {
                if (!keep[g] && (best < 0 || groupScore[g] > groupScore[best])) {
                    best = g;
                }
            }
            keep[best] = true;
        }
        for (int e = 0; e < experts; e++) {
            eligible[e] = keep[e / groupSize];
        }
    }
}
