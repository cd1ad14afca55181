package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.model.serving.TokenListener.Usage;

import java.time.Instant;
import java.util.UUID;

/** The identity every object of one response carries: its id, creation time and model name. */
record Ids(String id, long created, String model) {

    static Ids chat(String model) {
        return create("chatcmpl-", model);
    }

    static Ids completion(String model) {
        return create("cmpl-", model);
    }

    private static Ids create(String prefix, String model) {
        return new Ids(prefix + UUID.randomUUID().toString().replace("-", ""), Instant.now().getEpochSecond(), model);
    }

    /** Tool-call ids are scoped to the response, so they stay unique across a conversation. */
    String callPrefix() {
        return "call_" + id.substring(id.indexOf('-') + 1, id.indexOf('-') + 13) + "_";
    }

    ObjectNode envelope(String object) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("id", id).put("object", object).put("created", created).put("model", model);
        return node;
    }

    static ObjectNode usage(Usage usage) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("prompt_tokens", usage.promptTokens());
        node.put("completion_tokens", usage.completionTokens());
        node.put("total_tokens", usage.promptTokens() + usage.completionTokens());
        return node;
    }
}
