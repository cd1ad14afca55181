package dev.conclave.training.rl;

/**
 * Per-step statistics of the policy loss (training spec §1.3, §2.4, §5.7): loss, clip fraction (tokens on
 * the clipped branch), ratio range, mean |log π − log π_old|, the trainer/sampler mismatch health metric
 * mean |log π_train − log π_sample| and mean entropy at the sampling temperature. Micro-batches and ranks each
 * fill one and {@link #merge} them.
 */
public final class PolicyMetrics {
    private long tokens;
    private long clipped;
    private double loss;
    private double ratioSum;
    private double minRatio = Double.POSITIVE_INFINITY;
    private double maxRatio = Double.NEGATIVE_INFINITY;
    private double absLogRatioSum;
    private double entropySum;
    private long sampledTokens;
    private double rolloutAbsDiffSum;

    void add(double weightedLoss, double ratio, double logRatio, boolean clipActive, double entropy) {
        tokens++;
        clipped += clipActive ? 1 : 0;
        loss += weightedLoss;
        ratioSum += ratio;
        minRatio = Math.min(minRatio, ratio);
        maxRatio = Math.max(maxRatio, ratio);
        absLogRatioSum += Math.abs(logRatio);
        entropySum += entropy;
    }

    /**
     * One token's trainer log-prob and the sampler's, for the health metric mean |log π_train − log π_sample|
     * (training spec §2.4 invariant 3, slime's {@code train_rollout_logprob_abs_diff}).
     */
    public void addRolloutLogProb(double trainLogProb, double sampledLogProb) {
        sampledTokens++;
        rolloutAbsDiffSum += Math.abs(trainLogProb - sampledLogProb);
    }

    public void merge(PolicyMetrics other) {
        tokens += other.tokens;
        clipped += other.clipped;
        loss += other.loss;
        ratioSum += other.ratioSum;
        minRatio = Math.min(minRatio, other.minRatio);
        maxRatio = Math.max(maxRatio, other.maxRatio);
        absLogRatioSum += other.absLogRatioSum;
        entropySum += other.entropySum;
        sampledTokens += other.sampledTokens;
        rolloutAbsDiffSum += other.rolloutAbsDiffSum;
    }

    public long tokens() { return tokens; }

    /** The step loss: Σ w·ℓ over the tokens seen. */
    public double loss() { return loss; }

    public double clipFraction() { return tokens == 0 ? 0 : (double) clipped / tokens; }

    public double meanRatio() { return tokens == 0 ? 0 : ratioSum / tokens; }

    public double minRatio() { return tokens == 0 ? 0 : minRatio; }

    public double maxRatio() { return tokens == 0 ? 0 : maxRatio; }

    public double meanAbsLogRatio() { return tokens == 0 ? 0 : absLogRatioSum / tokens; }

    public double meanEntropy() { return tokens == 0 ? 0 : entropySum / tokens; }

    /** Mean |log π_train − log π_sample| over the tokens given to {@link #addRolloutLogProb}. */
    public double meanRolloutLogProbAbsDiff() { return sampledTokens == 0 ? 0 : rolloutAbsDiffSum / sampledTokens; }

    @Override
    public String toString() {
        return String.format("loss %.6f tokens %d clip %.4f ratio %.4f [%.4f, %.4f] |log ratio| %.2e entropy %.4f",
                loss, tokens, clipFraction(), meanRatio(), minRatio(), maxRatio(), meanAbsLogRatio(), meanEntropy());
    }
}
