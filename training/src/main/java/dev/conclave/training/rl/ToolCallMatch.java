package dev.conclave.training.rl;

import dev.conclave.text.parse.ParsedOutput;
import dev.conclave.text.parse.ToolCall;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reward 1 iff the completion's tool calls are well-formed ({@link ToolCallFormat}) and are exactly the
 * expected ones, in order: same names, same argument keys, same values. The answer is one call or an array
 * of calls, {@code {"name": "calculator", "arguments": {"expression": "37*24"}}}. Values compare by their
 * text (a string "12" equals a number 12), since GLM's XML carries every value as text and only the schema
 * decides its JSON type; objects and arrays compare as JSON trees.
 */
public final class ToolCallMatch implements Verifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToolCallFormat format = new ToolCallFormat();

    @Override
    public double score(String completion, String answer) {
        List<JsonNode> expected = expectedCalls(answer);
        ParsedOutput parsed = format.calls(completion);
        if (parsed == null || parsed.toolCalls().size() != expected.size()) {
            return 0;
        }
        for (int i = 0; i < expected.size(); i++) {
            ToolCall call = parsed.toolCalls().get(i);
            JsonNode want = expected.get(i);
            if (!call.name().equals(want.path("name").asText()) || !sameArguments(read(call.arguments()), want.path("arguments"))) {
                return 0;
            }
        }
        return 1;
    }

    private static boolean sameArguments(JsonNode got, JsonNode want) {
        if (got.size() != want.size()) {
            return false;
        }
        for (Map.Entry<String, JsonNode> entry : want.properties()) {
            JsonNode value = got.get(entry.getKey());
            if (value == null || !sameValue(value, entry.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameValue(JsonNode got, JsonNode want) {
        if (got.isValueNode() && want.isValueNode()) {
            return got.asText().strip().equals(want.asText().strip());
        }
        return got.equals(want);
    }

    private static List<JsonNode> expectedCalls(String answer) {
        JsonNode node = read(answer);
        List<JsonNode> calls = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(calls::add);
        } else {
            calls.add(node);
        }
        for (JsonNode call : calls) {
            if (!call.path("name").isTextual() || !call.path("arguments").isObject()) {
                throw new IllegalArgumentException("tool_call verifier: expected call " + call
                        + " needs a string \"name\" and an object \"arguments\"");
            }
        }
        return calls;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tool_call verifier: not JSON: " + json, e);
        }
    }
}
