package dev.conclave.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "chat", mixinStandardHelpOptions = true,
        header = "Chat with a running server, streaming; thinking shown dimmed.",
        description = {"Reads one user message per line and streams the answer from /v1/chat/completions.",
                "Commands: /nothink toggles thinking, /clear starts a new conversation, /exit quits."})
final class ChatCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIM = "\u001b[2m";
    private static final String RESET = "\u001b[0m";

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8000", description = "Server (default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--api-key", description = "API key (default: $CONCLAVE_API_KEY, if set).")
    String apiKey;

    @Option(names = "--max-tokens", defaultValue = "512", description = "Most tokens per answer (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.7", description = "Sampling temperature (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--no-think", description = "Start with thinking switched off.")
    boolean noThink;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Where the user's lines come from; tests replace it. */
    InputStream input = System.in;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String key = ApiKeys.resolve(apiKey);
        boolean thinking = !noThink;
        ArrayNode history = JSON.createArrayNode();
        HttpClient http = HttpClient.newHttpClient();
        BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
        out.print("> ");
        out.flush();
        for (String line; (line = in.readLine()) != null; out.print("> "), out.flush()) {
            switch (line.trim()) {
                case "" -> { }
                case "/exit" -> {
                    return 0;
                }
                case "/nothink" -> {
                    thinking = !thinking;
                    out.println("(thinking " + (thinking ? "on" : "off") + ")");
                }
                case "/clear" -> {
                    history.removeAll();
                    out.println("(new conversation)");
                }
                default -> {
                    history.addObject().put("role", "user").put("content", line);
                    String answer = stream(http, key, history, thinking, out);
                    history.addObject().put("role", "assistant").put("content", answer);
                }
            }
        }
        return 0;
    }

    /** Streams one answer to {@code out}; returns its content for the conversation history. */
    private String stream(HttpClient http, String key, ArrayNode history, boolean thinking, PrintWriter out) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.set("messages", history);
        body.put("stream", true).put("max_tokens", maxTokens).put("temperature", temperature);
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
        out.print("assistant: ");
        boolean[] dimmed = {false};
        response.body().filter(l -> l.startsWith("data: ") && !l.equals("data: [DONE]")).forEach(l -> {
            try {
                JsonNode chunk = JSON.readTree(l.substring("data: ".length()));
                JsonNode error = chunk.get("error");
                if (error != null) {
                    out.print("\n[error: " + error.path("message").asText() + "]");
                    return;
                }
                for (JsonNode choice : chunk.path("choices")) {
                    JsonNode delta = choice.path("delta");
                    String reasoning = delta.path("reasoning_content").asText("");
                    String text = delta.path("content").asText("");
                    if (!reasoning.isEmpty()) {
                        out.print((dimmed[0] ? "" : DIM) + reasoning);
                        dimmed[0] = true;
                    }
                    if (!text.isEmpty()) {
                        out.print((dimmed[0] ? RESET + "\n" : "") + text);
                        dimmed[0] = false;
                        content.append(text);
                    }
                    for (JsonNode call : delta.path("tool_calls")) {
                        String name = call.path("function").path("name").asText("");
                        out.print(name.isEmpty() ? call.path("function").path("arguments").asText("")
                                : "\n[tool call " + name + " ");
                    }
                }
                out.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        out.println(dimmed[0] ? RESET : "");
        return content.toString();
    }
}
