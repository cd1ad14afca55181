package dev.conclave.model;

/**
 * How many tokens a request may generate within the model's context: the prompt must leave room for at
 * least one, and the last generated token is sampled but never fed back, so it needs no position.
 */
public final class ContextBudget {

    private ContextBudget() {
    }

    /**
     * {@code min(maxTokens, context - promptLength + 1)}; a prompt that fills the context is refused with a
     * message naming both lengths.
     */
    public static int tokens(int promptLength, int maxTokens, int context) {
        if (promptLength >= context) {
            throw new IllegalArgumentException("a prompt of " + promptLength + " tokens leaves no room to generate"
                    + " within the context of max_position_embeddings " + context);
        }
        return Math.min(maxTokens, context - promptLength + 1);
    }
}
