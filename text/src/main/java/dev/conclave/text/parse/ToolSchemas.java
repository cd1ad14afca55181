package dev.conclave.text.parse;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the tool parser needs from a request's {@code tools}: which parameters are declared as strings. Those
 * values are kept exactly as the model wrote them; every other value is parsed as JSON (spec §8.2 step 4),
 * so that a string parameter holding "42" or "true" is not turned into a number or a boolean.
 */
public final class ToolSchemas {
    private static final ToolSchemas NONE = new ToolSchemas(Map.of());

    private final Map<String, Set<String>> stringParams;

    private ToolSchemas(Map<String, Set<String>> stringParams) {
        this.stringParams = stringParams;
    }

    /** No tools known: every value is typed by sniffing. */
    public static ToolSchemas none() {
        return NONE;
    }

    /** From the OpenAI {@code tools} array ({@code [{"type":"function","function":{name, parameters}}]}). */
    public static ToolSchemas fromOpenAiTools(JsonNode tools) {
        Map<String, Set<String>> byTool = new HashMap<>();
        if (tools == null) {
            return NONE;
        }
        for (JsonNode tool : tools) {
            JsonNode function = tool.has("function") ? tool.get("function") : tool;
            String name = function.path("name").asText(null);
            if (name == null) {
                continue;
            }
            Set<String> strings = new HashSet<>();
            function.path("parameters").path("properties").properties().forEach(p -> {
                if (isStringTyped(p.getValue())) {
                    strings.add(p.getKey());
                }
            });
            byTool.put(name, strings);
        }
        return new ToolSchemas(byTool);
    }

    public boolean isString(String tool, String param) {
        Set<String> strings = stringParams.get(tool);
        return strings != null && strings.contains(param);
    }

    /**
     * A schema is string-typed when every value it admits other than null is a string: {@code "type":"string"},
     * {@code "type":["string","null"]}, an anyOf/oneOf of such schemas, or an enum of strings only.
     */
    private static boolean isStringTyped(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type != null && type.isTextual()) {
            return type.asText().equals("string");
        }
        if (type != null && type.isArray()) {
            boolean sawString = false;
            for (JsonNode t : type) {
                if (t.asText().equals("string")) {
                    sawString = true;
                } else if (!t.asText().equals("null")) {
                    return false;
                }
            }
            return sawString;
        }
        for (String combinator : new String[] {"anyOf", "oneOf"}) {
            JsonNode options = schema.get(combinator);
            if (options != null && options.isArray() && !options.isEmpty()) {
                boolean sawString = false;
                for (JsonNode option : options) {
                    if (isStringTyped(option)) {
                        sawString = true;
                    } else if (!"null".equals(option.path("type").asText())) {
                        return false;
                    }
                }
                return sawString;
            }
        }
        JsonNode values = schema.get("enum");
        if (values != null && values.isArray() && !values.isEmpty()) {
            for (JsonNode v : values) {
                if (!v.isTextual()) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }
}
