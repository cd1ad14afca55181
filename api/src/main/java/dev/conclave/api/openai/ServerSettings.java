package dev.conclave.api.openai;

import java.util.Optional;
import java.util.Set;

/**
 * What the server needs to know about the model it serves and how to guard it.
 *
 * @param modelName     the name {@code /v1/models} lists and responses carry
 * @param contextLength the longest prompt plus completion the engine accepts, in tokens
 * @param eosIds        the model's end-of-turn ids; generation stops on any of them
 * @param apiKey        when present, every request must carry {@code Authorization: Bearer <key>}
 */
public record ServerSettings(String modelName, int contextLength, Set<Integer> eosIds, Optional<String> apiKey) {

    public ServerSettings {
        if (contextLength < 2) {
            throw new IllegalArgumentException("context length must be >= 2, got " + contextLength);
        }
        eosIds = Set.copyOf(eosIds);
    }
}
