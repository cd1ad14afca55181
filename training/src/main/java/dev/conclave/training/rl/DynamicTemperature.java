package dev.conclave.training.rl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * GLM-4.5's dynamic sampling temperature (training spec §1.7): every {@code checkEvery} steps, if the rollout
 * reward has plateaued (least-squares slope over the last {@code window} steps below {@code minSlope} per
 * step), evaluate held-out accuracy at τ, τ+Δ, …, τ_max and move to the largest temperature whose accuracy
 * is within {@code tolerance} (one percentage point: 0.01) of the best. τ never goes down: the rule exists to
 * keep exploration up once the reward stops improving.
 */
public final class DynamicTemperature {

    public record Config(boolean enabled, double initial, double step, double max, int window, double minSlope,
                         int checkEvery, double tolerance) {
        public Config {
            if (!(initial > 0) || !(step > 0) || !(max >= initial) || window < 2 || checkEvery < 1 || !(tolerance >= 0)) {
                throw new IllegalArgumentException("dynamic temperature: need initial > 0, step > 0, max >= initial,"
                        + " window >= 2, check-every >= 1, tolerance >= 0");
            }
        }

        /** Spec defaults: τ 1.0, Δ 0.05, τ_max 1.5, W 50, δ 0.002/step, 1 point; checked every 10 steps. */
        public static Config defaults() {
            return new Config(true, 1.0, 0.05, 1.5, 50, 0.002, 10, 0.01);
        }

        public static Config fixed(double temperature) {
            return new Config(false, temperature, 0.05, temperature, 50, 0.002, 10, 0.01);
        }
    }

    /** What one check decided; {@code accuracies} is empty when there was no plateau. */
    public record Decision(int step, double slope, boolean plateau, List<double[]> accuracies, double from, double to) {

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(String.format("temperature step %d: reward slope %.5f/step", step, slope));
            if (!plateau) {
                return sb.append(String.format(", no plateau; τ stays %.2f", from)).toString();
            }
            sb.append(", plateau; held-out accuracy");
            for (double[] a : accuracies) {
                sb.append(String.format(" τ %.2f: %.4f", a[0], a[1]));
            }
            return sb.append(String.format("; τ %.2f -> %.2f", from, to)).toString();
        }
    }

    private final Config config;
    private final Deque<Double> rewards = new ArrayDeque<>();
    private double temperature;

    public DynamicTemperature(Config config) {
        this.config = config;
        this.temperature = config.initial();
    }

    public double temperature() {
        return temperature;
    }

    /**
     * Feeds one step's mean rollout reward; on a check step returns the decision (after running the sweep
     * through {@code heldOutAccuracy}, accuracy in [0, 1] at a temperature, if there is a plateau), otherwise
     * {@code null}.
     */
    public Decision observe(int step, double meanReward, DoubleUnaryOperator heldOutAccuracy) {
        if (!config.enabled()) {
            return null;
        }
        rewards.addLast(meanReward);
        if (rewards.size() > config.window()) {
            rewards.removeFirst();
        }
        if (step % config.checkEvery() != 0 || rewards.size() < config.window()) {
            return null;
        }
        double slope = slope(rewards);
        double from = temperature;
        if (slope >= config.minSlope()) {
            return new Decision(step, slope, false, List.of(), from, from);
        }
        List<double[]> accuracies = new ArrayList<>();
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; from + i * config.step() <= config.max() + 1e-9; i++) {
            double tau = Math.min(config.max(), from + i * config.step());
            double accuracy = heldOutAccuracy.applyAsDouble(tau);
            accuracies.add(new double[] {tau, accuracy});
            best = Math.max(best, accuracy);
        }
        for (double[] a : accuracies) {
            if (a[1] >= best - config.tolerance()) {
                temperature = a[0];
            }
        }
        // A fresh window after a sweep: the next decision should see rewards at the new temperature.
        rewards.clear();
        return new Decision(step, slope, true, accuracies, from, temperature);
    }

    /** Least-squares slope of the values against their index. */
    static double slope(Iterable<Double> values) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (double y : values) {
            sx += n;
            sy += y;
            sxx += n * n;
            sxy += n * y;
            n++;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }
}
