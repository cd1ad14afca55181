package dev.conclave.api.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated {@code /v1/chat/completions} body. Messages and tools stay as the plain maps a chat template
 * reads; {@code toolsJson} keeps the request's tools for typing the parsed call arguments.
 */
record ChatRequest(List<Map<String, Object>> messages, List<Map<String, Object>> tools, JsonNode toolsJson,
                   boolean enableThinking, SamplingOptions sampling) {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    static ChatRequest parse(JsonNode root) {
        JsonNode messages = root.get("messages");
        if (messages == null || messages.isNull()) {
            throw ApiException.invalid("messages is required", "messages");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalid("messages must be a non-empty list", "messages");
        }
        List<Map<String, Object>> parsed = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            parsed.add(message(messages.get(i), "messages[" + i + "]"));
        }
        JsonNode tools = root.get("tools");
        if (tools != null && !tools.isNull() && !tools.isArray()) {
            throw ApiException.invalid("tools must be a list", "tools");
        }
        boolean toolsOn = toolsEnabled(root.get("tool_choice"));
        JsonNode toolsJson = toolsOn && tools != null && !tools.isNull() ? tools : Json.MAPPER.createArrayNode();
        List<Map<String, Object>> toolMaps = new ArrayList<>();
        for (JsonNode tool : toolsJson) {
            if (!tool.isObject() || !tool.path("function").path("name").isTextual()) {
                throw ApiException.invalid("each tool must be {\"type\":\"function\",\"function\":{\"name\",...}}", "tools");
            }
            toolMaps.add(Json.MAPPER.convertValue(tool, MAP));
        }
        JsonNode kwargs = root.path("chat_template_kwargs");
        if (!kwargs.isMissingNode() && !kwargs.isNull() && !kwargs.isObject()) {
            throw ApiException.invalid("chat_template_kwargs must be an object", "chat_template_kwargs");
        }
        boolean thinking = !kwargs.isObject() || SamplingOptions.bool(kwargs, "enable_thinking", true);
        return new ChatRequest(List.copyOf(parsed), List.copyOf(toolMaps), toolsJson, thinking,
                SamplingOptions.parse(root));
    }

    private static Map<String, Object> message(JsonNode m, String where) {
        if (!m.isObject()) {
            throw ApiException.invalid(where + " must be an object", "messages");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) {
            throw ApiException.invalid(where + ".role is required and must be a string", "messages");
        }
        if (!ROLES.contains(role.asText())) {
            throw ApiException.invalid(where + ".role '" + role.asText() + "' is not one of " + ROLES, "messages");
        }
        JsonNode content = m.get("content");
        if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
            throw ApiException.invalid(where + ".content must be a string or a list of parts", "messages");
        }
        JsonNode calls = m.get("tool_calls");
        if (calls != null && !calls.isNull() && !calls.isArray()) {
            throw ApiException.invalid(where + ".tool_calls must be a list", "messages");
        }
        Map<String, Object> message = Json.MAPPER.convertValue(m, MAP);
        if (content != null && content.isArray()) {
            message.put("content", textOfParts((ArrayNode) content, where));
        } else if (content == null || content.isNull()) {
            // An assistant turn that only calls tools has null content; a template would print it as "None".
            message.put("content", "");
        }
        if (calls != null && calls.isArray()) {
            message.put("tool_calls", toolCalls((ArrayNode) calls, where));
        }
        return message;
    }

    /**
     * OpenAI clients send a call's arguments back as the JSON text they received; templates iterate over them
     * as a mapping (GLM's refuses anything else), so the text is parsed into the object it encodes.
     */
    private static List<Map<String, Object>> toolCalls(ArrayNode calls, String where) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            String at = where + ".tool_calls[" + i + "]";
            JsonNode call = calls.get(i);
            JsonNode function = call.path("function");
            if (!call.isObject() || !function.path("name").isTextual()) {
                throw ApiException.invalid(at + " must be {\"type\":\"function\",\"function\":{\"name\",\"arguments\"}}",
                        "messages");
            }
            JsonNode arguments = function.path("arguments");
            if (arguments.isTextual()) {
                try {
                    arguments = Json.MAPPER.readTree(arguments.asText());
                } catch (JsonProcessingException e) {
                    throw ApiException.invalid(at + ".function.arguments is not valid JSON: " + e.getOriginalMessage(),
                            "messages");
                }
            }
            if (!arguments.isObject() && !arguments.isMissingNode() && !arguments.isNull()) {
                throw ApiException.invalid(at + ".function.arguments must encode a JSON object", "messages");
            }
            Map<String, Object> parsed = Json.MAPPER.convertValue(call, MAP);
            Map<String, Object> parsedFunction = Json.MAPPER.convertValue(function, MAP);
            parsedFunction.put("arguments", arguments.isObject() ? Json.MAPPER.convertValue(arguments, MAP) : Map.of());
            parsed.put("function", parsedFunction);
            out.add(parsed);
        }
        return out;
    }

    /** The server is text-only: content parts are joined, and any part that is not text is refused. */
    private static String textOfParts(ArrayNode parts, String where) {
        StringBuilder text = new StringBuilder();
        for (JsonNode part : parts) {
            if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                throw ApiException.invalid(where + ".content: only text parts are supported", "messages");
            }
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    /** "auto" (the default) offers the tools; "none" hides them from the model. */
    private static boolean toolsEnabled(JsonNode choice) {
        if (choice == null || choice.isNull() || choice.asText().equals("auto")) {
            return true;
        }
        if (choice.isTextual() && choice.asText().equals("none")) {
            return false;
        }
        throw ApiException.invalid("tool_choice must be \"auto\" or \"none\"", "tool_choice");
    }
}
