package dev.conclave.text.parse;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One parsed tool call; {@code arguments} is a JSON object as text, as OpenAI's API carries it. */
public record ToolCall(String id, String name, String arguments) {

    /** {@code {"id", "type":"function", "function":{"name", "arguments"}}}, an element of {@code tool_calls}. */
    public ObjectNode toOpenAi() {
        ObjectNode call = JsonNodeFactory.instance.objectNode();
        call.put("id", id);
        call.put("type", "function");
        ObjectNode function = call.putObject("function");
        function.put("name", name);
        function.put("arguments", arguments);
        return call;
    }
}
