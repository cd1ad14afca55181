package dev.conclave.training.rl;

import java.util.Locale;

/**
 * How per-token losses are summed into the loss of one optimizer step (training spec §1.4). The weights are
 * computed once for the whole step (all micro-batches, all ranks), so splitting the step into micro-batches
 * cannot change the loss or its gradient.
 */
public enum Aggregation {
    /** Every loss token of the step weighs 1/|M| (the default; GLM-4.5 code RL, DAPO). */
    TOKEN_MEAN,
    /** Every sequence weighs 1/N, spread evenly over its own tokens: 1/(N·|y_i|) (original GRPO). */
    SEQUENCE_MEAN,
    /** A constant normaliser 1/(N·L_max) (Dr. GRPO). */
    CONSTANT;

    /**
     * The per-token weight of each sequence of one optimizer step.
     *
     * @param lossTokens   |y_i|: loss-masked (model-generated) tokens of each sequence of the step
     * @param maxNewTokens L_max, used only by {@link #CONSTANT}
     * @return w_i, the weight of every loss token of sequence i; 0 for a sequence without loss tokens, which
     *         is no sample for the loss and is not counted in N
     */
    public double[] weights(int[] lossTokens, int maxNewTokens) {
        long tokens = 0;
        int sequences = 0;
        for (int i = 0; i < lossTokens.length; i++) {
            if (lossTokens[i] < 0) {
                throw new IllegalArgumentException("sequence " + i + ": negative loss-token count " + lossTokens[i]);
            }
            tokens += lossTokens[i];
            sequences += lossTokens[i] > 0 ? 1 : 0;
        }
        if (this == CONSTANT && maxNewTokens <= 0) {
            throw new IllegalArgumentException("constant aggregation needs max new tokens > 0, got " + maxNewTokens);
        }
        double[] w = new double[lossTokens.length];
        for (int i = 0; i < lossTokens.length; i++) {
            if (lossTokens[i] == 0) {
                continue;
            }
            w[i] = switch (this) {
                case TOKEN_MEAN -> 1.0 / tokens;
                case SEQUENCE_MEAN -> 1.0 / ((double) sequences * lossTokens[i]);
                case CONSTANT -> 1.0 / ((double) sequences * maxNewTokens);
            };
        }
        return w;
    }

    /** Loss tokens of one sequence: the positions whose mask is set. */
    public static int lossTokens(boolean[] mask) {
        int n = 0;
        for (boolean m : mask) {
            n += m ? 1 : 0;
        }
        return n;
    }

    /** {@code token-mean}, {@code sequence-mean} or {@code constant} (case and - / _ insensitive). */
    public static Aggregation parse(String name) {
        String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (Aggregation a : values()) {
            if (a.name().equals(key)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown loss aggregation '" + name
                + "'; expected token-mean, sequence-mean or constant");
    }
}
