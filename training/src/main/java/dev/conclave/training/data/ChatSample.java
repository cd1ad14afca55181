package dev.conclave.training.data;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One SFT conversation of a JSONL file: OpenAI-style {@code messages} (roles system, user, assistant, tool;
 * assistants may carry {@code reasoning_content} and {@code tool_calls}, and {@code step_loss_mask: 0} to
 * leave that turn out of the loss), optional {@code tools}, and an optional per-sample
 * {@code enable_thinking}. Messages are kept as the template engine wants them (Java maps and lists);
 * tool-call {@code arguments} written as a JSON string, as OpenAI's API carries them, are parsed into an
 * object, since the GLM template iterates over them.
 */
public record ChatSample(List<Map<String, Object>> messages, List<Map<String, Object>> tools, Boolean enableThinking,
                         String source) {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    /** Every sample of {@code file}; a malformed line is an error naming {@code file:line} and the field. */
    public static List<ChatSample> read(Path file) {
        return Jsonl.read(file, ChatSample::parse);
    }

    /** Whether message {@code i} is an assistant turn that takes part in the loss. */
    public boolean trainsOn(int i) {
        Map<String, Object> m = messages.get(i);
        return "assistant".equals(m.get("role")) && !(m.get("step_loss_mask") instanceof Number n && n.intValue() == 0);
    }

    /** One sample from a JSON object shaped like a JSONL line ({@code messages}, optional {@code tools}, ...). */
    public static ChatSample parse(JsonNode line, String where) {
        JsonNode messages = line.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new DataException(where + ": \"messages\" must be a non-empty list");
        }
        List<Map<String, Object>> parsed = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            parsed.add(message(messages.get(i), where + ": messages[" + i + "]"));
        }
        JsonNode tools = line.get("tools");
        List<Map<String, Object>> toolList = null;
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw new DataException(where + ": \"tools\" must be a list");
            }
            toolList = new ArrayList<>();
            for (int i = 0; i < tools.size(); i++) {
                if (!tools.get(i).isObject()) {
                    throw new DataException(where + ": tools[" + i + "] must be an object");
                }
                toolList.add(Jsonl.JSON.convertValue(tools.get(i), MAP));
            }
        }
        JsonNode thinking = line.get("enable_thinking");
        if (thinking != null && !thinking.isNull() && !thinking.isBoolean()) {
            throw new DataException(where + ": \"enable_thinking\" must be true or false");
        }
        Boolean enableThinking = thinking == null || thinking.isNull() ? null : thinking.booleanValue();
        return new ChatSample(List.copyOf(parsed), toolList == null ? null : List.copyOf(toolList), enableThinking, where);
    }

    private static Map<String, Object> message(JsonNode m, String where) {
        if (!m.isObject()) {
            throw new DataException(where + " must be an object");
        }
        String role = m.path("role").asText(null);
        if (role == null || !ROLES.contains(role)) {
            throw new DataException(where + ".role must be one of " + ROLES + ", found " + m.get("role"));
        }
        JsonNode content = m.get("content");
        if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
            throw new DataException(where + ".content must be a string, a list of parts or null");
        }
        JsonNode reasoning = m.get("reasoning_content");
        if (reasoning != null && !reasoning.isNull() && !reasoning.isTextual()) {
            throw new DataException(where + ".reasoning_content must be a string");
        }
        JsonNode mask = m.get("step_loss_mask");
        if (mask != null && !(mask.isInt() && (mask.intValue() == 0 || mask.intValue() == 1))) {
            throw new DataException(where + ".step_loss_mask must be 0 or 1");
        }
        ObjectNode copy = ((ObjectNode) m).deepCopy();
        JsonNode calls = copy.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            if (!calls.isArray()) {
                throw new DataException(where + ".tool_calls must be a list");
            }
            for (int i = 0; i < calls.size(); i++) {
                toolCall(calls.get(i), where + ".tool_calls[" + i + "]");
            }
        }
        return Jsonl.JSON.convertValue(copy, MAP);
    }

    /** Checks a call and replaces a JSON-string {@code arguments} by the object it encodes. */
    private static void toolCall(JsonNode call, String where) {
        JsonNode function = call.isObject() && call.has("function") ? call.get("function") : call;
        if (!function.isObject() || !function.path("name").isTextual()) {
            throw new DataException(where + " needs a function name");
        }
        JsonNode arguments = function.get("arguments");
        if (arguments != null && arguments.isTextual()) {
            JsonNode parsed;
            try {
                parsed = Jsonl.JSON.readTree(arguments.asText());
            } catch (JacksonException e) {
                throw new DataException(where + ".function.arguments is a string but not valid JSON: " + e.getOriginalMessage());
            }
            ((ObjectNode) function).set("arguments", parsed);
            arguments = parsed;
        }
        if (arguments != null && !arguments.isNull() && !arguments.isObject()) {
            throw new DataException(where + ".function.arguments must be a JSON object");
        }
    }
}
