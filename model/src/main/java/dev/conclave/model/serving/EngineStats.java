package dev.conclave.model.serving;

import dev.conclave.model.MtpStats;

/**
 * What an engine has generated for its finished requests: tokens after each first one, the time from each request's first token
 * to its last (summed), and the MTP speculation counters ({@code mtp} null when it does not draft).
 */
public record EngineStats(long decodeTokens, long decodeNanos, MtpStats mtp) {

    public static final EngineStats NONE = new EngineStats(0, 0, null);

    /** Decode tokens per second over the requests' decode time, NaN before any. */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? Double.NaN : decodeTokens / (decodeNanos / 1e9);
    }
}
