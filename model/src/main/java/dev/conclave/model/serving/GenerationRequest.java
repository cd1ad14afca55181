package dev.conclave.model.serving;

import java.util.Set;

/**
 * One generation request at the token level: what the API layer hands the engine after applying the chat
 * template and the tokenizer. Temperature 0 is greedy; {@code topK} 0 and {@code topP} 1 switch those off. With
 * {@code logProbs} the engine also reports the log-probability each token was sampled with
 * ({@link TokenListener#onToken(int, double)}, one more pass over the vocabulary per token); serving leaves it off.
 */
public record GenerationRequest(int[] prompt, int maxTokens, double temperature, double topP, int topK, long seed,
                                Set<Integer> stopIds, boolean logProbs) {

    public GenerationRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt needs at least one token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        }
        prompt = prompt.clone();
        stopIds = Set.copyOf(stopIds);
    }

    /** A request without log-probs (what serving sends). */
    public GenerationRequest(int[] prompt, int maxTokens, double temperature, double topP, int topK, long seed,
                             Set<Integer> stopIds) {
        this(prompt, maxTokens, temperature, topP, topK, seed, stopIds, false);
    }
}
