package dev.conclave.model.serving;

import dev.conclave.model.MtpStats;

/**
 * Receives a request's tokens as the engine produces them, then exactly one of {@link #onFinish} or
 * {@link #onError}. Called from the engine's thread: implementations must return quickly.
 */
public interface TokenListener {

    void onToken(int id);

    /**
     * A token with the log-probability the sampler drew it with ({@link dev.conclave.model.Sampler#logProb}); the
     * engine calls this instead of {@link #onToken(int)} for requests that asked for log-probs.
     */
    default void onToken(int id, double logProb) {
        onToken(id);
    }

    void onFinish(FinishReason reason, Usage usage);

    void onError(String message);

    /** Why generation ended: a stop id, the token budget or context limit, or the client cancelled. */
    enum FinishReason { STOP, LENGTH, CANCELLED }

    /**
     * Token counts of a finished request; with MTP drafting, its speculation counters ({@code mtp}, else
     * null), and the time from its first generated token to its last ({@code decodeNanos}, 0 when unknown).
     */
    record Usage(int promptTokens, int completionTokens, MtpStats mtp, long decodeNanos) {
        public Usage(int promptTokens, int completionTokens) {
            this(promptTokens, completionTokens, null, 0);
        }

        /** Generated tokens per second after the first one, NaN when unknown. */
        public double decodeTokensPerSecond() {
            return decodeNanos == 0 ? Double.NaN : (completionTokens - 1) / (decodeNanos / 1e9);
        }
    }
}
