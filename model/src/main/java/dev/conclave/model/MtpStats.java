package dev.conclave.model;

import java.util.Arrays;

/**
 * Speculative-decoding counters: for each draft position how many drafts were proposed and accepted, how
 * many verification steps ran and how many tokens they emitted (accepted drafts plus the correction or
 * bonus token). Thread-safe: the engine's thread adds, the metrics endpoint reads.
 */
public final class MtpStats {

    private final long[] proposed;
    private final long[] accepted;
    private long steps;
    private long tokens;

    public MtpStats(int drafts) {
        this.proposed = new long[drafts];
        this.accepted = new long[drafts];
    }

    /** Draft positions tracked (the configured draft count). */
    public int drafts() {
        return proposed.length;
    }

    /** One verification step that checked {@code proposedDrafts} drafts and accepted the first {@code acceptedDrafts}. */
    public synchronized void record(int proposedDrafts, int acceptedDrafts) {
        for (int i = 0; i < proposedDrafts; i++) {
            proposed[i]++;
        }
        for (int i = 0; i < acceptedDrafts; i++) {
            accepted[i]++;
        }
        steps++;
        tokens += acceptedDrafts + 1;
    }

    public synchronized void add(MtpStats other) {
        MtpStats o = other.copy();
        for (int i = 0; i < Math.min(proposed.length, o.proposed.length); i++) {
            proposed[i] += o.proposed[i];
            accepted[i] += o.accepted[i];
        }
        steps += o.steps;
        tokens += o.tokens;
    }

    public synchronized MtpStats copy() {
        MtpStats c = new MtpStats(proposed.length);
        System.arraycopy(proposed, 0, c.proposed, 0, proposed.length);
        System.arraycopy(accepted, 0, c.accepted, 0, accepted.length);
        c.steps = steps;
        c.tokens = tokens;
        return c;
    }

    public synchronized long steps() {
        return steps;
    }

    public synchronized long tokens() {
        return tokens;
    }

    /** Drafts proposed over all positions. */
    public synchronized long proposedTotal() {
        long n = 0;
        for (long p : proposed) {
            n += p;
        }
        return n;
    }

    /** Drafts accepted over all positions. */
    public synchronized long acceptedTotal() {
        long n = 0;
        for (long a : accepted) {
            n += a;
        }
        return n;
    }

    public synchronized long proposed(int position) {
        return proposed[position];
    }

    public synchronized long accepted(int position) {
        return accepted[position];
    }

    /** Accepted / proposed at draft position {@code position} (0-based), NaN before any was proposed. */
    public synchronized double acceptanceRate(int position) {
        return proposed[position] == 0 ? Double.NaN : accepted[position] / (double) proposed[position];
    }

    /** Tokens emitted per verification step (1 + accepted drafts on average), NaN before any step. */
    public synchronized double meanTokensPerStep() {
        return steps == 0 ? Double.NaN : tokens / (double) steps;
    }

    @Override
    public synchronized String toString() {
        return "MtpStats[steps=" + steps + ", tokens=" + tokens + ", proposed=" + Arrays.toString(proposed)
                + ", accepted=" + Arrays.toString(accepted) + "]";
    }
}
