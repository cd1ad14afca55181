package dev.conclave.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A streaming client of the OpenAI-compatible chat endpoint for people at a terminal: reasoning printed
 * dimmed as it arrives, then the answer, tool calls as they stream; the whole turn comes back for the
 * conversation history.
 */
final class ChatClient {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIM = "\u001b[2m";
    private static final String RESET = "\u001b[0m";

    /** One streamed assistant turn: its reasoning, text, tool calls (OpenAI shape) and the usage object, if sent. */
    record Turn(String reasoning, String content, List<ObjectNode> toolCalls, JsonNode usage) {

        /**
         * The turn as an assistant message for the next request. The reasoning goes back too: GLM's template keeps
         * the thinking of the turns since the last user message (the tool-call loop), so a model answers a tool's
         * result as it was trained to only when it sees the thinking that led to the call.
         */
        ObjectNode message() {
            ObjectNode m = JSON.createObjectNode().put("role", "assistant").put("content", content);
            if (!reasoning.isEmpty()) {
                m.put("reasoning_content", reasoning);
            }
            if (!toolCalls.isEmpty()) {
                m.putArray("tool_calls").addAll(toolCalls);
            }
            return m;
        }
    }

    private final HttpClient http = HttpClient.newHttpClient();
    private final String url;
    private final String key;

    ChatClient(String url, String key) {
        this.url = url;
        this.key = key;
    }

    /** Streams one answer to {@code out}; {@code tools} may be null. */
    Turn send(ArrayNode messages, ArrayNode tools, boolean thinking, int maxTokens, double temperature, PrintWriter out)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.set("messages", messages);
        if (tools != null) {
            body.set("tools", tools);
        }
        body.put("stream", true).put("max_tokens", maxTokens).put("temperature", temperature);
        body.putObject("stream_options").put("include_usage", true);
        body.putObject("chat_template_kwargs").put("enable_thinking", thinking);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        HttpResponse<Stream<String>> response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            String error = String.join("\n", response.body().toList());
            throw new IllegalStateException("the server answered " + response.statusCode() + ": " + error);
        }
        StringBuilder content = new StringBuilder();
        StringBuilder thought = new StringBuilder();
        Map<Integer, ObjectNode> calls = new LinkedHashMap<>();
        JsonNode[] usage = {null};
        boolean[] dimmed = {false};
        out.print("assistant: ");
        response.body().filter(l -> l.startsWith("data: ") && !l.equals("data: [DONE]")).forEach(l -> {
            JsonNode chunk;
            try {
                chunk = JSON.readTree(l.substring("data: ".length()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            JsonNode error = chunk.get("error");
            if (error != null) {
                out.print("\n[error: " + error.path("message").asText() + "]");
                return;
            }
            if (chunk.hasNonNull("usage")) {
                usage[0] = chunk.get("usage");
            }
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.path("delta");
                String reasoning = delta.path("reasoning_content").asText("");
                String text = delta.path("content").asText("");
                if (!reasoning.isEmpty()) {
                    out.print((dimmed[0] ? "" : DIM) + reasoning);
                    dimmed[0] = true;
                    thought.append(reasoning);
                }
                if (!text.isEmpty()) {
                    out.print((dimmed[0] ? RESET + "\n" : "") + text);
                    dimmed[0] = false;
                    content.append(text);
                }
                for (JsonNode call : delta.path("tool_calls")) {
                    ObjectNode acc = calls.computeIfAbsent(call.path("index").asInt(), i -> {
                        ObjectNode c = JSON.createObjectNode().put("id", "").put("type", "function");
                        c.putObject("function").put("name", "").put("arguments", "");
                        return c;
                    });
                    if (call.hasNonNull("id")) {
                        acc.put("id", call.get("id").asText());
                    }
                    ObjectNode fn = (ObjectNode) acc.get("function");
                    String name = call.path("function").path("name").asText("");
                    String args = call.path("function").path("arguments").asText("");
                    if (!name.isEmpty()) {
                        fn.put("name", fn.get("name").asText() + name);
                        out.print((dimmed[0] ? RESET : "") + "\n[tool call " + name + " ");
                        dimmed[0] = false;
                    }
                    fn.put("arguments", fn.get("arguments").asText() + args);
                    out.print(args);
                }
            }
            out.flush();
        });
        out.println(dimmed[0] ? RESET : calls.isEmpty() ? "" : "]");
        return new Turn(thought.toString(), content.toString(), new ArrayList<>(calls.values()), usage[0]);
    }
}
