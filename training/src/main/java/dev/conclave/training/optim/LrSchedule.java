package dev.conclave.training.optim;

/**
 * Learning rate per optimizer step s = 1, 2, …: linear warm-up from 0 to {@code peak} over
 * {@code warmupSteps}, then a cosine from {@code peak} down to {@code end} at {@code totalSteps}, and
 * {@code end} after that (training spec §3.3–3.4).
 */
public record LrSchedule(double peak, double end, long warmupSteps, long totalSteps) {

    public LrSchedule {
        if (!(peak >= 0) || !(end >= 0) || warmupSteps < 0 || totalSteps < warmupSteps) {
            throw new IllegalArgumentException("bad LR schedule: peak " + peak + ", end " + end + ", warm-up "
                    + warmupSteps + ", total " + totalSteps + " (need peak, end ≥ 0 and 0 ≤ warm-up ≤ total)");
        }
    }

    /** The same LR at every step (RL: 1e-6). */
    public static LrSchedule constant(double lr) {
        return new LrSchedule(lr, lr, 0, 0);
    }

    /** SFT (spec §3.3): warm-up over the first 3 % of the steps, then cosine to 10 % of the peak. */
    public static LrSchedule sft(double peak, long totalSteps) {
        return new LrSchedule(peak, 0.1 * peak, Math.round(0.03 * totalSteps), totalSteps);
    }

    /** The LR of step {@code step} (1-based: the first optimizer step is 1). */
    public double lr(long step) {
        if (step < 1) {
            throw new IllegalArgumentException("optimizer steps count from 1, got " + step);
        }
        if (step <= warmupSteps) {
            return peak * step / warmupSteps;
        }
        if (step >= totalSteps) {
            return end;
        }
        double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
        return end + (peak - end) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
