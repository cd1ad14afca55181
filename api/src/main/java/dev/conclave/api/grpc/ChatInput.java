package dev.conclave.api.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.conclave.api.grpc.v1.ChatMessage;
import dev.conclave.api.grpc.v1.ChatRequest;
import dev.conclave.api.grpc.v1.ToolCall;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checked chat request in the shapes the chat template reads, the same as the HTTP API hands it: messages
 * as OpenAI-style maps (tool calls with JSON-string arguments), tools as OpenAI tool maps, and the tools as
 * JSON for typing parsed call arguments.
 */
record ChatInput(List<Map<String, Object>> messages, List<Map<String, Object>> tools, ArrayNode toolsJson) {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    static ChatInput of(ChatRequest request) {
        if (request.getMessagesCount() == 0) {
            throw Invalid.argument("messages must not be empty");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < request.getMessagesCount(); i++) {
            messages.add(message(request.getMessages(i), "messages[" + i + "]"));
        }
        ArrayNode toolsJson = MAPPER.createArrayNode();
        List<Map<String, Object>> tools = new ArrayList<>();
        for (int i = 0; i < request.getToolsJsonCount(); i++) {
            JsonNode tool = tool(request.getToolsJson(i), "tools_json[" + i + "]");
            toolsJson.add(tool);
            tools.add(MAPPER.convertValue(tool, MAP));
        }
        return new ChatInput(List.copyOf(messages), List.copyOf(tools), toolsJson);
    }

    private static Map<String, Object> message(ChatMessage m, String where) {
        if (!ROLES.contains(m.getRole())) {
            throw Invalid.argument(where + ".role '" + m.getRole() + "' is not one of " + ROLES);
        }
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", m.getRole());
        message.put("content", m.getContent());
        if (!m.getReasoningContent().isEmpty()) {
            message.put("reasoning_content", m.getReasoningContent());
        }
        if (m.getToolCallsCount() > 0) {
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ToolCall call : m.getToolCallsList()) {
                if (call.getName().isEmpty()) {
                    throw Invalid.argument(where + ".tool_calls: each call needs a name");
                }
                calls.add(Map.of("id", call.getId(), "type", "function",
                        "function", Map.of("name", call.getName(), "arguments", call.getArguments())));
            }
            message.put("tool_calls", calls);
        }
        if (!m.getToolCallId().isEmpty()) {
            message.put("tool_call_id", m.getToolCallId());
        }
        if (!m.getName().isEmpty()) {
            message.put("name", m.getName());
        }
        return message;
    }

    private static JsonNode tool(String json, String where) {
        JsonNode tool;
        try {
            tool = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw Invalid.argument(where + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (tool == null || !tool.isObject() || !tool.path("function").path("name").isTextual()) {
            throw Invalid.argument(where + " must be {\"type\":\"function\",\"function\":{\"name\",...}}");
        }
        return tool;
    }
}
