package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;

import java.util.Arrays;

/**
 * The sigmoid top-k router of one MoE layer (model spec §4.2, training spec §4.1, §4.2, §5.6) on the
 * post-attention-normed input m: {@code z = m·W_rᵀ, s = σ(z)}, experts chosen by the K best
 * {@code s + e_score_correction_bias} inside the {@code topk_group} best groups, gates
 * {@code g_e = γ s_e / Σ_{k∈T} s_k} (or {@code γ s_e} without {@code norm_topk_prob}).
 *
 * <p>The selection is piecewise constant and gets no gradient; the correction bias gets none either and
 * moves only by the loss-free update. The sequence-level balance loss {@code Σ_i f_i P_i} is computed per
 * document on the scores without the bias (as Megatron does) and its gradient reaches all E router rows.
 */
public final class Router {

    private final Linear gate;
    private final Param bias;
    private final int experts;
    private final int k;
    private final int groups;
    private final int groupSize;
    private final int topkGroup;
    private final boolean normTopk;
    private final double gamma;

    private final long[] load;
    private final double[] selection;
    private final boolean[] eligible;
    private final double[] groupScore;
    private final boolean[] groupKept;
    private final double[] f;
    private final double[] pSum;
    private final double[] dsPrime;

    private Documents docs;
    private boolean[] counted;
    private double[] m;
    private double[] s = new double[0];
    private int[] chosen = new int[0];
    private double[] gates = new double[0];
    private double[] sum = new double[0];
    private boolean[] auxTop = new boolean[0];
    private double[] dz = new double[0];
    private double auxLoss;
    private double minMargin;

    public Router(ModelConfig c, ParamSet params, String prefix) {
        this.experts = c.nRoutedExperts();
        this.k = c.numExpertsPerTok();
        this.groups = c.nGroup();
        this.topkGroup = c.topkGroup();
        if (experts % groups != 0 || k > experts) {
            throw new IllegalArgumentException(prefix + ": " + experts + " experts, n_group " + groups + ", top-" + k);
        }
        this.groupSize = experts / groups;
        this.normTopk = c.normTopkProb();
        this.gamma = c.routedScalingFactor();
        this.gate = new Linear(params.create(prefix + "weight", Param.Kind.MATRIX, experts, c.hiddenSize()), null);
        this.bias = params.create(prefix + "e_score_correction_bias", Param.Kind.VECTOR, experts);
        this.load = new long[experts];
        this.selection = new double[experts];
        this.eligible = new boolean[experts];
        this.groupScore = new double[groups];
        this.groupKept = new boolean[groups];
        this.f = new double[experts];
        this.pSum = new double[experts];
        this.dsPrime = new double[experts];
    }

    public Param correctionBias() { return bias; }

    /** Expert of slot {@code slot} of row t, from the last forward. */
    public int expert(int t, int slot) { return chosen[t * k + slot]; }

    /** The gate g of slot {@code slot} of row t. */
    public double gateOf(int t, int slot) { return gates[t * k + slot]; }

    /**
     * (token, slot) assignments per expert, summed over the forwards since the last {@link #updateBias} that
     * were backpropagated: training forwards count, evaluation-only forwards do not (training spec §4.1).
     */
    public long[] loads() { return load.clone(); }

    /** The unweighted balance loss of the last forward: the mean over documents of {@code Σ_i f_i P_i}. */
    public double auxLoss() { return auxLoss; }

    /**
     * The smallest gap, over the rows of the last forward, between the K-th and the (K+1)-th candidate of
     * the selection or the balance-loss top-K: below the step of a finite difference, that row's choice can
     * flip and its gradient is not defined there.
     */
    public double minMargin() { return minMargin; }

    /**
     * Routes rows {@code [0, n)} of m. Rows with {@code counted[t]} false (null: all count) are routed but
     * enter neither the loads nor the balance loss; the MTP stream uses that for rows without an input.
     */
    public void forward(double[] m, Documents docs, boolean[] counted, Parallel p) {
        int n = docs.rows();
        this.m = m;
        this.docs = docs;
        this.counted = counted;
        if (s.length < n * experts) {
            s = new double[n * experts];
            dz = new double[n * experts];
            auxTop = new boolean[n * experts];
            chosen = new int[n * k];
            gates = new double[n * k];
            sum = new double[n];
        }
        gate.forward(m, n, s, p);
        minMargin = Double.POSITIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            for (int e = 0; e < experts; e++) {
                s[t * experts + e] = 1.0 / (1.0 + Math.exp(-s[t * experts + e]));
            }
            select(t);
        }
        auxLoss = balance(n);
    }

    private boolean counts(int t) {
        return counted == null || counted[t];
    }

    private void select(int t) {
        double[] b = bias.value();
        int so = t * experts;
        for (int e = 0; e < experts; e++) {
            selection[e] = s[so + e] + b[e];
            eligible[e] = true;
        }
        if (groups > 1) {
            limitGroups();
        }
        double total = 0;
        for (int slot = 0; slot < k; slot++) {
            int best = best(selection, 0, eligible);
            eligible[best] = false;
            chosen[t * k + slot] = best;
            total += s[so + best];
        }
        margin(selection, 0, eligible, selection[chosen[t * k + k - 1]]);
        sum[t] = total;
        for (int slot = 0; slot < k; slot++) {
            double score = s[so + chosen[t * k + slot]];
            gates[t * k + slot] = normTopk ? gamma * score / total : gamma * score;
        }
    }

    /** The eligible expert with the largest value; ties to the lower id. */
    private int best(double[] value, int offset, boolean[] allowed) {
        int best = -1;
        for (int e = 0; e < experts; e++) {
            if (allowed[e] && (best < 0 || value[offset + e] > value[offset + best])) {
                best = e;
            }
        }
        return best;
    }

    /** Records the gap between the last chosen value and the best value left eligible. */
    private void margin(double[] value, int offset, boolean[] left, double last) {
        int next = best(value, offset, left);
        if (next >= 0) {
            minMargin = Math.min(minMargin, last - value[offset + next]);
        }
    }

    /** Keeps the {@code topk_group} groups whose two best selection scores sum highest. */
    private void limitGroups() {
        for (int g = 0; g < groups; g++) {
            double first = Double.NEGATIVE_INFINITY;
            double second = Double.NEGATIVE_INFINITY;
            for (int e = g * groupSize; e < (g + 1) * groupSize; e++) {
                double c = selection[e];
                if (c > first) {
                    second = first;
                    first = c;
                } else if (c > second) {
                    second = c;
                }
            }
            groupScore[g] = groupSize > 1 ? first + second : first;
        }
        Arrays.fill(groupKept, false);
        double lastKept = 0;
        for (int kept = 0; kept < topkGroup; kept++) {
            int best = -1;
            for (int g = 0; g < groups; g++) {
                if (!groupKept[g] && (best < 0 || groupScore[g] > groupScore[best])) {
                    best = g;
                }
            }
            groupKept[best] = true;
            lastKept = groupScore[best];
        }
        for (int g = 0; g < groups; g++) {
            if (!groupKept[g]) {
                minMargin = Math.min(minMargin, lastKept - groupScore[g]);
            }
        }
        for (int e = 0; e < experts; e++) {
            eligible[e] = groupKept[e / groupSize];
        }
    }

    /**
     * Per document of T counted rows: {@code f_i = E/(K·T) Σ_t 1[i ∈ TopK(s_t)]}, {@code P_i = (1/T) Σ_t s'_{t,i}},
     * {@code s' = s / Σ_j s_j}; returns the mean of {@code Σ_i f_i P_i} over documents with counted rows.
     */
    private double balance(int n) {
        Arrays.fill(auxTop, 0, n * experts, false);
        double total = 0;
        int docsWithRows = 0;
        for (int doc = 0; doc < docs.count(); doc++) {
            int rows = 0;
            Arrays.fill(f, 0);
            Arrays.fill(pSum, 0);
            for (int t = docs.start(doc); t < docs.end(doc); t++) {
                if (!counts(t)) {
                    continue;
                }
                rows++;
                int so = t * experts;
                double st = 0;
                for (int e = 0; e < experts; e++) {
                    st += s[so + e];
                    eligible[e] = true;
                }
                for (int e = 0; e < experts; e++) {
                    pSum[e] += s[so + e] / st;
                }
                double last = 0;
                for (int slot = 0; slot < k; slot++) {
                    int best = best(s, so, eligible);
                    eligible[best] = false;
                    auxTop[so + best] = true;
                    f[best]++;
                    last = s[so + best];
                }
                margin(s, so, eligible, last);
            }
            if (rows == 0) {
                continue;
            }
            double lossDoc = 0;
            for (int e = 0; e < experts; e++) {
                lossDoc += (experts * f[e] / ((double) k * rows)) * (pSum[e] / rows);
            }
            total += lossDoc;
            docsWithRows++;
        }
        return docsWithRows == 0 ? 0 : total / docsWithRows;
    }

    /**
     * Given {@code dg[t·K + slot] = ∂L/∂g} for every routed slot, accumulates the router weight gradient and
     * {@code dm += dz·W_r}; {@code auxWeight} scales the balance loss's own gradient (0 leaves it out).
     */
    public void backward(double[] dg, double auxWeight, double[] dm, Parallel p) {
        int n = docs.rows();
        Arrays.fill(dz, 0, n * experts, 0);
        for (int t = 0; t < n; t++) {
            if (counts(t)) {
                for (int slot = 0; slot < k; slot++) {
                    load[chosen[t * k + slot]]++;
                }
            }
            int so = t * experts;
            double mix = 0;
            if (normTopk) {
                for (int slot = 0; slot < k; slot++) {
                    mix += dg[t * k + slot] * s[so + chosen[t * k + slot]] / sum[t];
                }
            }
            for (int slot = 0; slot < k; slot++) {
                int e = chosen[t * k + slot];
                dz[so + e] = normTopk ? gamma / sum[t] * (dg[t * k + slot] - mix) : gamma * dg[t * k + slot];
            }
        }
        if (auxWeight != 0) {
            addBalanceGradient(auxWeight);
        }
        for (int i = 0; i < n * experts; i++) {
            dz[i] *= s[i] * (1 - s[i]);
        }
        gate.backward(m, dz, n, dm, p);
    }

    /** {@code ∂/∂s'_{t,i} = w f_i / (T·D)} over D documents, then through {@code s' = s / Σ_j s_j}. */
    private void addBalanceGradient(double weight) {
        int docsWithRows = 0;
        for (int doc = 0; doc < docs.count(); doc++) {
            for (int t = docs.start(doc); t < docs.end(doc); t++) {
                if (counts(t)) {
                    docsWithRows++;
                    break;
                }
            }
        }
        for (int doc = 0; doc < docs.count(); doc++) {
            int rows = 0;
            Arrays.fill(f, 0);
            for (int t = docs.start(doc); t < docs.end(doc); t++) {
                if (counts(t)) {
                    rows++;
                    for (int e = 0; e < experts; e++) {
                        if (auxTop[t * experts + e]) {
                            f[e]++;
                        }
                    }
                }
            }
            if (rows == 0) {
                continue;
            }
            for (int t = docs.start(doc); t < docs.end(doc); t++) {
                if (!counts(t)) {
                    continue;
                }
                int so = t * experts;
                double st = 0;
                for (int e = 0; e < experts; e++) {
                    st += s[so + e];
                }
                double inner = 0;
                for (int e = 0; e < experts; e++) {
                    dsPrime[e] = weight * (experts * f[e] / ((double) k * rows)) / rows / docsWithRows;
                    inner += dsPrime[e] * s[so + e] / st;
                }
                for (int e = 0; e < experts; e++) {
                    dz[so + e] += (dsPrime[e] - inner) / st;
                }
            }
        }
    }

    /**
     * The loss-free balancing step (training spec §4.1): {@code b_i += u·sign(c̄ − c_i)} with c the loads
     * since the last update and c̄ their mean, then the loads restart at 0. Rate 0 changes nothing but still
     * restarts the counts.
     */
    public void updateBias(double rate) {
        double mean = 0;
        for (long c : load) {
            mean += c;
        }
        mean /= experts;
        double[] b = bias.value();
        for (int e = 0; e < experts; e++) {
            b[e] += rate * Math.signum(mean - load[e]);
        }
        Arrays.fill(load, 0);
    }
}
