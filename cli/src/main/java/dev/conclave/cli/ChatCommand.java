package dev.conclave.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "chat", mixinStandardHelpOptions = true,
        header = "Chat with a running server, streaming; thinking shown dimmed.",
        description = {"Reads one user message per line and streams the answer from /v1/chat/completions.",
                "Commands: /nothink toggles thinking, /clear starts a new conversation, /exit quits."})
final class ChatCommand implements Callable<Integer> {

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
        ArrayNode history = ChatClient.JSON.createArrayNode();
        ChatClient client = new ChatClient(url, key);
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
                    history.add(client.send(history, null, thinking, maxTokens, temperature, out).message());
                }
            }
        }
        return 0;
    }
}
