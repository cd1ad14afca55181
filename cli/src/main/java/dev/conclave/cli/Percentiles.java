package dev.conclave.cli;

import java.util.Arrays;

/** Nearest-rank percentiles of a latency sample, in milliseconds. */
record Percentiles(double p50, double p90, double p99) {

    static Percentiles of(long[] nanos) {
        if (nanos.length == 0) {
            return new Percentiles(Double.NaN, Double.NaN, Double.NaN);
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return new Percentiles(rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99));
    }

    private static double rank(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, i)] / 1e6;
    }
}
