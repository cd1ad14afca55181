package dev.conclave.model;

import java.util.Arrays;
import java.util.List;

/**
 * What a decode step costs as a function of the rows it feeds, for the main model and for the MTP layer,
 * after a given context: the figures that bound what speculative decoding can gain. A speculative step with
 * k drafts verifies k + 1 rows, then runs the MTP layer over the kept rows and k − 1 chained single rows, so
 * with τ tokens per step its speedup over plain decoding is at most
 * {@code τ · main(1) / (main(k + 1) + mtp(τ) + (k − 1) · mtp(1))}.
 */
public final class StepCost {

    /** Median microseconds of one step over r rows: {@code main[r - 1]} and {@code mtp[r - 1]}. */
    public record Costs(double[] main, double[] mtp) {

        /** The MTP layer over a fractional number of rows, interpolated between the measured counts. */
        public double mtpAt(double rows) {
            int below = Math.clamp((int) Math.floor(rows), 1, mtp.length);
            int above = Math.min(below + 1, mtp.length);
            double t = Math.clamp(rows - below, 0, 1);
            return mtp[below - 1] + t * (mtp[above - 1] - mtp[below - 1]);
        }

        /** The speedup over plain decoding these costs allow with {@code drafts} drafts at τ tokens per step. */
        public double predictedSpeedup(int drafts, double tokensPerStep) {
            if (drafts == 0) {
                return 1;
            }
            double step = main[drafts] + mtpAt(tokensPerStep) + (drafts - 1) * mtp[0];
            return tokensPerStep * main[0] / step;
        }
    }

    private StepCost() {
    }

    /**
     * Feeds 1..{@code maxRows} rows after {@code context} {@code iterations} times each (interleaved, so load
     * on the machine falls on every count alike), rolling both caches back after each step.
     */
    public static Costs measure(StepPipeline pipeline, int[] context, int maxRows, int iterations) {
        if (!pipeline.hasMtp()) {
            throw new IllegalArgumentException("the step cost of speculative decoding needs a checkpoint with an MTP layer");
        }
        StepPipeline.SequenceHandle sequence = pipeline.newSequence();
        try {
            int length = context.length;
            var prefill = pipeline.step(List.of(sequence), List.of(context), new int[] {0}, true);
            int[] next = Arrays.copyOfRange(context, 1, length + 1);
            next[length - 1] = context[0];
            pipeline.mtp(List.of(sequence), new int[] {length}, prefill.hidden(), next, new int[] {length - 1});
            long[][] main = new long[maxRows][iterations];
            long[][] mtp = new long[maxRows][iterations];
            for (int i = 0; i < iterations; i++) {
                for (int r = 1; r <= maxRows; r++) {
                    int[] rows = new int[r];
                    for (int j = 0; j < r; j++) {
                        rows[j] = context[(i + j) % length];
                    }
                    long t0 = System.nanoTime();
                    var out = pipeline.step(List.of(sequence), List.of(rows), new int[] {r}, true);
                    long t1 = System.nanoTime();
                    pipeline.mtp(List.of(sequence), new int[] {r}, out.hidden(), rows, new int[] {r - 1});
                    long t2 = System.nanoTime();
                    main[r - 1][i] = t1 - t0;
                    mtp[r - 1][i] = t2 - t1;
                    pipeline.truncate(sequence, length, length);
                }
            }
            return new Costs(medians(main), medians(mtp));
        } finally {
            sequence.release();
        }
    }

    private static double[] medians(long[][] nanos) {
        double[] out = new double[nanos.length];
        for (int r = 0; r < nanos.length; r++) {
            long[] sorted = nanos[r].clone();
            Arrays.sort(sorted);
            out[r] = sorted[sorted.length / 2] / 1e3;
        }
        return out;
    }
}
