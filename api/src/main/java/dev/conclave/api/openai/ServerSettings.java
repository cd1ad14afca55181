package dev.conclave.api.openai;

import java.util.Optional;
import java.util.Set;

/**
 * What the server needs to know about the model it serves and how to guard it.
 *
 * @param modelName             the name {@code /v1/models} lists; requests naming another model get a 404
 * @param contextLength         the longest prompt plus completion the engine accepts, in tokens
 * @param eosIds                the model's end-of-turn ids; generation stops on any of them
 * @param apiKey                when present, every request must carry {@code Authorization: Bearer <key>}
 * @param maxConcurrentRequests completion requests in flight at once; more get a 429 rather than queueing
 *                              without bound behind the engine
 * @param maxRequestBytes       the largest request body accepted; larger ones get a 413 before being read
 */
public record ServerSettings(String modelName, int contextLength, Set<Integer> eosIds, Optional<String> apiKey,
                             int maxConcurrentRequests, int maxRequestBytes) {

    /** Room for a few hundred streaming clients, and prompts far beyond any context in JSON. */
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 256;
    public static final int DEFAULT_MAX_REQUEST_BYTES = 8 << 20;

    public ServerSettings {
        if (contextLength < 2) {
            throw new IllegalArgumentException("context length must be >= 2, got " + contextLength);
        }
        if (maxConcurrentRequests < 1) {
            throw new IllegalArgumentException("max concurrent requests must be >= 1, got " + maxConcurrentRequests);
        }
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("max request bytes must be >= 1, got " + maxRequestBytes);
        }
        eosIds = Set.copyOf(eosIds);
    }

    /** Settings with the default limits. */
    public ServerSettings(String modelName, int contextLength, Set<Integer> eosIds, Optional<String> apiKey) {
        this(modelName, contextLength, eosIds, apiKey, DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_REQUEST_BYTES);
    }

    public ServerSettings withLimits(int maxConcurrentRequests, int maxRequestBytes) {
        return new ServerSettings(modelName, contextLength, eosIds, apiKey, maxConcurrentRequests, maxRequestBytes);
    }
}
