package dev.conclave.training.tasks;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builders for the OpenAI-style chat messages the tasks write. */
final class Messages {
    static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private Messages() {
    }

    static ObjectNode message(String role, String content) {
        ObjectNode m = JSON.objectNode();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /** An assistant turn; {@code reasoning} ({@code reasoning_content}) is left out when {@code null}. */
    static ObjectNode assistant(String reasoning, String content) {
        ObjectNode m = message("assistant", content);
        if (reasoning != null) {
            m.put("reasoning_content", reasoning);
        }
        return m;
    }

    static ArrayNode array(ObjectNode... items) {
        ArrayNode a = JSON.arrayNode();
        for (ObjectNode item : items) {
            a.add(item);
        }
        return a;
    }

    /** A one-user-turn prompt. */
    static ArrayNode user(String content) {
        return array(message("user", content));
    }
}
