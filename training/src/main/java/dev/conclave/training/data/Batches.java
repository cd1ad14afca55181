package dev.conclave.training.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The optimizer steps of one epoch: the packed rows shuffled by a seeded Fisher–Yates (the order is a function
 * of (seed, epoch) alone, so a resumed run sees the same stream), then grouped into steps of
 * {@code accumulation} micro-batches of {@code rowsPerMicroBatch} rows. Rows that do not fill a last whole
 * step are left out of this epoch ({@link #leftOver()}); a different order next epoch gives them their turn.
 */
public final class Batches {

    /**
     * One optimizer step's micro-batches and the number of loss tokens in all of them: the denominator of
     * the token-mean loss, which must be the step's global count, not a micro-batch's (spec §1.4, §7.1).
     */
    public record Step(List<List<PackedRow>> microBatches, long maskedTokens) {
    }

    private final List<Step> steps;
    private final int leftOver;

    private Batches(List<Step> steps, int leftOver) {
        this.steps = steps;
        this.leftOver = leftOver;
    }

    public static Batches epoch(List<PackedRow> rows, long seed, long epoch, int rowsPerMicroBatch, int accumulation) {
        if (rowsPerMicroBatch < 1 || accumulation < 1) {
            throw new IllegalArgumentException("need at least one row per micro-batch and one micro-batch per step, got "
                    + rowsPerMicroBatch + " and " + accumulation);
        }
        List<PackedRow> order = new ArrayList<>(rows);
        SplittableRandom random = new SplittableRandom(seed).split();
        for (long e = 0; e < epoch; e++) {
            random = random.split();
        }
        for (int i = order.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            order.set(j, order.set(i, order.get(j)));
        }
        int perStep = rowsPerMicroBatch * accumulation;
        List<Step> steps = new ArrayList<>();
        for (int s = 0; s + perStep <= order.size(); s += perStep) {
            List<List<PackedRow>> micro = new ArrayList<>();
            long masked = 0;
            for (int m = 0; m < accumulation; m++) {
                List<PackedRow> batch = List.copyOf(order.subList(s + m * rowsPerMicroBatch, s + (m + 1) * rowsPerMicroBatch));
                for (PackedRow r : batch) {
                    masked += r.maskedTokens();
                }
                micro.add(batch);
            }
            steps.add(new Step(List.copyOf(micro), masked));
        }
        return new Batches(List.copyOf(steps), order.size() % perStep);
    }

    public List<Step> steps() {
        return steps;
    }

    /** Rows of this epoch that did not fill a whole step. */
    public int leftOver() {
        return leftOver;
    }
}
