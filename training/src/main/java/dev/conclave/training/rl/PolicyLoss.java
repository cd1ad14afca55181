package dev.conclave.training.rl;

import java.util.Arrays;

/**
 * The clipped GRPO policy loss of one generated token and its gradient with respect to that position's
 * logits (training spec §1.3):
 *
 * <pre>
 *   log π   = log-softmax(z / τ)[y]                      (τ = the sampling temperature)
 *   ρ       = exp(clamp(log π − log π_old, −20, 20))
 *   ℓ       = −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A)
 *   ∂ℓ/∂z   = −(A·ρ/τ)·(onehot(y) − softmax(z/τ))        unless the clipped branch is active (then 0)
 * </pre>
 *
 * Both the loss and the gradient are multiplied by the token's aggregation weight ({@link Aggregation}), so
 * summing {@link #token} over every loss token of a step gives the step's loss and the caller-supplied
 * logits gradient of the backward pass. A clamped log-ratio is a flat piece of the objective, so it too has
 * zero gradient. Logits are float64 rows {@code logits[offset .. offset+vocab)}; nothing is allocated.
 */
public final class PolicyLoss {
    /** Bound on |log π − log π_old| before exp, so a very stale sample cannot produce an infinite ratio. */
    public static final double LOG_RATIO_CLAMP = 20;

    private final double epsLow;
    private final double epsHigh;

    public PolicyLoss(double epsLow, double epsHigh) {
        if (!(epsLow >= 0 && epsLow < 1) || !(epsHigh >= 0)) {
            throw new IllegalArgumentException("clip range needs 0 <= eps_low < 1 and eps_high >= 0, got "
                    + epsLow + " / " + epsHigh);
        }
        this.epsLow = epsLow;
        this.epsHigh = epsHigh;
    }

    /** ε_low 0.2, ε_high 0.28 ("clip higher", DAPO / slime's GRPO script). */
    public static PolicyLoss defaults() {
        return new PolicyLoss(0.2, 0.28);
    }

    public double epsLow() { return epsLow; }

    public double epsHigh() { return epsHigh; }

    /** log-softmax(z/τ)[id] of one logits row: the log-prob the sampler and the trainer must agree on. */
    public static double logProb(double[] logits, int offset, int vocab, double temperature, int id) {
        checkRow(logits, offset, vocab, temperature, id);
        return logits[offset + id] / temperature - logSumExp(logits, offset, vocab, temperature);
    }

    /**
     * One loss token: returns weight·ℓ and writes weight·∂ℓ/∂z into {@code dLogits[dOffset .. dOffset+vocab)}
     * (overwriting it); adds the token to {@code metrics}.
     */
    public double token(double[] logits, int offset, int vocab, double temperature, int sampled, double oldLogProb,
                        double advantage, double weight, double[] dLogits, int dOffset, PolicyMetrics metrics) {
        checkRow(logits, offset, vocab, temperature, sampled);
        double lse = logSumExp(logits, offset, vocab, temperature);
        double logRatio = logits[offset + sampled] / temperature - lse - oldLogProb;
        boolean clamped = Math.abs(logRatio) > LOG_RATIO_CLAMP;
        double ratio = Math.exp(Math.max(-LOG_RATIO_CLAMP, Math.min(LOG_RATIO_CLAMP, logRatio)));
        double clippedRatio = Math.max(1 - epsLow, Math.min(1 + epsHigh, ratio));
        double loss = -Math.min(ratio * advantage, clippedRatio * advantage);
        boolean clipActive = (advantage > 0 && ratio > 1 + epsHigh) || (advantage < 0 && ratio < 1 - epsLow);
        // ∂ℓ/∂log π = −A·ρ on the unclipped branch; ∂log π/∂z_v = (1[v = y] − p_v)/τ.
        double coefficient = clipActive || clamped ? 0 : -weight * advantage * ratio / temperature;
        double entropyDot = 0;
        for (int v = 0; v < vocab; v++) {
            double scaled = logits[offset + v] / temperature;
            double p = Math.exp(scaled - lse);
            entropyDot += p * scaled;
            dLogits[dOffset + v] = -coefficient * p;
        }
        dLogits[dOffset + sampled] += coefficient;
        metrics.add(weight * loss, ratio, logRatio, clipActive, lse - entropyDot);
        return weight * loss;
    }

    /**
     * One response of T positions: logits {@code [T × vocab]} row-major, the sampled ids, their old log-probs
     * and the loss mask. Writes {@code dLogits [T × vocab]} (rows outside the mask are zero) and returns the
     * response's weighted loss; {@code weight} is the response's per-token weight from {@link Aggregation}.
     */
    public double sequence(double[] logits, int vocab, double temperature, int[] sampled, double[] oldLogProbs,
                           boolean[] mask, double advantage, double weight, double[] dLogits, PolicyMetrics metrics) {
        int t = sampled.length;
        if (oldLogProbs.length != t || mask.length != t) {
            throw new IllegalArgumentException("sequence of " + t + " sampled ids has " + oldLogProbs.length
                    + " old log-probs and " + mask.length + " mask entries");
        }
        if (logits.length != (long) t * vocab || dLogits.length != logits.length) {
            throw new IllegalArgumentException("logits of " + logits.length + " and dLogits of " + dLogits.length
                    + " values do not match " + t + " positions x vocab " + vocab);
        }
        double loss = 0;
        for (int i = 0; i < t; i++) {
            if (mask[i]) {
                loss += token(logits, i * vocab, vocab, temperature, sampled[i], oldLogProbs[i], advantage, weight,
                        dLogits, i * vocab, metrics);
            } else {
                Arrays.fill(dLogits, i * vocab, (i + 1) * vocab, 0);
            }
        }
        return loss;
    }

    private static double logSumExp(double[] logits, int offset, int vocab, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[offset + v] / temperature);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[offset + v] / temperature - max);
        }
        return max + Math.log(sum);
    }

    private static void checkRow(double[] logits, int offset, int vocab, double temperature, int id) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("sampling temperature must be > 0, got " + temperature);
        }
        if (vocab <= 0 || offset < 0 || offset + vocab > logits.length) {
            throw new IllegalArgumentException("logits row [" + offset + ", " + (offset + vocab)
                    + ") outside an array of " + logits.length);
        }
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException("sampled id " + id + " outside vocab " + vocab);
        }
    }
}
