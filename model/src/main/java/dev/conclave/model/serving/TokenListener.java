package dev.conclave.model.serving;

/**
 * Receives a request's tokens as the engine produces them, then exactly one of {@link #onFinish} or
 * {@link #onError}. Called from the engine's thread: implementations must return quickly.
 */
public interface TokenListener {

    void onToken(int id);

    void onFinish(FinishReason reason, Usage usage);

    void onError(String message);

    /** Why generation ended: a stop id, the token budget or context limit, or the client cancelled. */
    enum FinishReason { STOP, LENGTH, CANCELLED }

    /** Token counts of a finished request. */
    record Usage(int promptTokens, int completionTokens) {
    }
}
