package dev.conclave.training.rl;

/**
 * Group-relative advantages of GRPO (training spec §1.2): each response's reward minus its group's mean,
 * divided by the group's sample standard deviation (Bessel, as torch {@code .std()}) plus 1e-6 when
 * {@code stdNorm} is on; the paper's mean-only formula (Dr. GRPO) when it is off.
 */
public final class Advantages {
    /** Added to the group std so a near-constant group cannot blow the advantages up (slime's value). */
    public static final double EPS = 1e-6;

    private Advantages() {
    }

    public static double[] groupRelative(double[] rewards, boolean stdNorm) {
        if (rewards.length == 0) {
            throw new IllegalArgumentException("a group needs at least one reward");
        }
        double mean = mean(rewards);
        // With one response there is no spread to normalise by; slime turns the division off for K = 1.
        double scale = stdNorm && rewards.length > 1 ? 1 / (std(rewards) + EPS) : 1;
        double[] advantages = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            advantages[i] = (rewards[i] - mean) * scale;
        }
        return advantages;
    }

    public static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /** Sample standard deviation with Bessel's correction; 0 for a single value. */
    public static double std(double[] values) {
        if (values.length < 2) {
            return 0;
        }
        double mean = mean(values);
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return Math.sqrt(squares / (values.length - 1));
    }
}
