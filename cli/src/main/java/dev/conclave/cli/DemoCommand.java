package dev.conclave.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.training.tasks.Calculator;
import dev.conclave.training.tasks.CalculatorCall;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conclave demo}: serves the bundled model (trained by Conclave's own {@code train sft} and
 * {@code train grpo}) on 127.0.0.1 and holds a short scripted chat with it through the OpenAI-compatible API:
 * addition with its carry trace as thinking, sorting, and a calculator tool call round trip; then the MTP
 * speculative-decoding statistics of each answer.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Serve the bundled model and hold a scripted chat: thinking, a tool call, MTP statistics.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "models/conclave-tiny", description = "checkpoint (default ${DEFAULT-VALUE})")
    Path model;

    @Option(names = "--mtp", defaultValue = "1", description = "MTP draft tokens per step, 0 off (default ${DEFAULT-VALUE})")
    int mtp;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--model", model.toString(), "--host", "127.0.0.1", "--port", "0",
                "--grpc-port", "-1", "--mtp", Integer.toString(mtp), "--quiet");
        try (ServeCommand.Served served = serve.start()) {
            String url = "http://127.0.0.1:" + served.server().port();
            out.println("conclave demo: " + model + " served at " + url + "/v1 (OpenAI-compatible), MTP drafts " + mtp);
            ChatClient client = new ChatClient(url, null);

            ArrayNode chat = ChatClient.JSON.createArrayNode();
            turn(out, client, chat, null, "487+256=");
            turn(out, client, ChatClient.JSON.createArrayNode(), null, "sort: 64 12 90 33");

            ArrayNode tools = CalculatorCall.tools();
            ArrayNode call = ChatClient.JSON.createArrayNode();
            ChatClient.Turn first = turn(out, client, call, tools, "How much is 345*267?");
            for (ObjectNode toolCall : first.toolCalls()) {
                JsonNode args = ChatClient.JSON.readTree(toolCall.path("function").path("arguments").asText("{}"));
                String expression = args.path("expression").asText();
                String result;
                try {
                    result = Long.toString(Calculator.evaluate(expression));
                } catch (IllegalArgumentException e) {
                    result = "error: " + e.getMessage();
                }
                out.println("tool: calculator(" + expression + ") = " + result);
                call.addObject().put("role", "tool").put("content", result);
            }
            if (!first.toolCalls().isEmpty()) {
                stats(out, client.send(call, tools, true, 128, 0, out), call);
            }
        }
        return 0;
    }

    private static ChatClient.Turn turn(PrintWriter out, ChatClient client, ArrayNode messages, ArrayNode tools,
                                        String user) throws Exception {
        out.println();
        out.println("user: " + user);
        messages.addObject().put("role", "user").put("content", user);
        ChatClient.Turn t = client.send(messages, tools, true, 128, 0, out);
        stats(out, t, messages);
        return t;
    }

    /** Appends the turn to the conversation and prints its MTP statistics from the usage extension. */
    private static void stats(PrintWriter out, ChatClient.Turn t, ArrayNode messages) {
        messages.add(t.message());
        JsonNode c = t.usage() == null ? null : t.usage().path("conclave");
        if (c == null || c.isMissingNode()) {
            return;
        }
        JsonNode m = c.path("mtp");
        String rate = String.format(Locale.ROOT, "%.0f tok/s", c.path("decode_tokens_per_second").asDouble());
        if (m.isMissingNode() || m.isNull()) {
            out.println("  [" + t.usage().path("completion_tokens").asInt() + " tokens, " + rate + ", no MTP]");
        } else {
            out.printf(Locale.ROOT, "  [%d tokens, %s; MTP: %.2f tokens per step, draft acceptance by position %s]%n",
                    t.usage().path("completion_tokens").asInt(), rate, m.path("mean_tokens_per_step").asDouble(),
                    m.path("acceptance_rate_by_position"));
        }
        out.flush();
    }
}
