package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.api.openai.ScriptedEngine;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ConfigLoader;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.parse.GlmOutputParser;
import dev.conclave.text.parse.ParsedOutput;
import dev.conclave.text.parse.ToolCallParser;
import dev.conclave.text.parse.ToolSchemas;
import dev.conclave.text.tokenizer.Tokenizer;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `conclave serve` on 127.0.0.1 driven by the official {@code openai} Node.js client ({@link NodeOpenAiClient},
 * script {@code src/test/resources/openai-node/client.mjs}), with a fixture checkpoint carrying a byte-level
 * tokenizer and GLM-4.6's own chat template.
 */
class ServeOpenAiNodeClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sesame";
    private static final Map<String, Object> THINKING = Map.of("enable_thinking", true);

    @TempDir
    Path dir;

    private ServeCommand command(Path model) {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--model", model.toString(), "--port", "0", "--grpc-port", "-1",
                "--api-key", KEY, "--served-name", "m", "--threads", "2");
        return command;
    }

    private static String text(JsonNode field) {
        return field == null || field.isNull() ? "" : field.asText();
    }

    /** The client's streamed chat reassembles to its non-streamed answer, and both to a lone greedy run of the prompt. */
    @Test
    void aStreamedChatReassemblesToTheNonStreamedAnswerAndTheLoneGreedyRun() throws Exception {
        NodeOpenAiClient node = NodeOpenAiClient.install();
        Path model = ServableModel.createWithGlmTemplate(dir);
        JsonNode result;
        try (ServeCommand.Served served = command(model).start()) {
            result = node.run("chat", "http://127.0.0.1:" + served.server().port() + "/v1", KEY, "m");
        }
        JsonNode stream = result.get("stream");
        JsonNode whole = result.get("whole");
        assertTrue(stream.get("chunks").asInt() > 3, "not streamed in pieces: " + stream);
        assertEquals(text(whole.get("content")), text(stream.get("content")));
        assertEquals(text(whole.get("reasoning")), text(stream.get("reasoning")));
        assertEquals(whole.get("finish").asText(), stream.get("finish").asText());
        // The decode speed differs from run to run; the token counts must not.
        assertEquals(((ObjectNode) whole.get("usage")).without("conclave"), ((ObjectNode) stream.get("usage")).without("conclave"));
        assertEquals(calls(whole.get("toolCalls")), calls(stream.get("toolCalls")));

        Tokenizer tokenizer = Tokenizer.load(model);
        String prompt = ChatTemplate.load(model).render(List.of(Map.of("role", "user", "content", "Tell me a story.")),
                List.of(), true, THINKING);
        int[] promptIds = tokenizer.encode(prompt, false);
        try (Checkpoint c = Checkpoint.open(model); Parallel p = Parallel.create(2)) {
            Set<Integer> eos = new HashSet<>(c.config().eosTokenIds());
            int[] ids = new Generator(InProcessPipeline.load(c, p)).generate(promptIds, 24, Sampler.greedy(), eos, t -> { });
            assertEquals(promptIds.length, stream.get("usage").get("prompt_tokens").asInt());
            assertEquals(ids.length, stream.get("usage").get("completion_tokens").asInt());
            int[] text = Arrays.stream(ids).filter(id -> !eos.contains(id)).toArray();
            ParsedOutput lone = new GlmOutputParser(new ToolCallParser(ToolSchemas.none(), "call_"))
                    .parse(tokenizer.decode(text, false));
            assertEquals(lone.content() == null ? "" : lone.content(), text(stream.get("content")));
            assertEquals(lone.reasoning() == null ? "" : lone.reasoning(), text(stream.get("reasoning")));
            assertEquals(lone.toolCalls().stream().map(t -> t.name() + t.arguments()).toList(), calls(stream.get("toolCalls")));
        }
    }

    private static List<String> calls(JsonNode toolCalls) {
        return IntStream.range(0, toolCalls.size()).mapToObj(toolCalls::get)
                .map(t -> t.get("function").get("name").asText() + t.get("function").get("arguments").asText()).toList();
    }

    /**
     * A tool-call round trip: request with {@code tools}, streamed {@code tool_calls}, the tool's result sent back
     * as a {@code tool} message, the final answer. A random-weight model never chooses to call a tool, so the
     * engine here replays scripted token ids (the model's side of the conversation, written as GLM-4.5 writes it);
     * everything else is the real serve path: the checkpoint's tokenizer and GLM chat template, the
     * reasoning and tool-call parsers, and HTTP. The prompts the engine receives must be the template's render
     * of the conversation with the call's arguments as an object.
     */
    @Test
    void aToolCallRoundTripThroughTheOpenAiClient() throws Exception {
        NodeOpenAiClient node = NodeOpenAiClient.install();
        Path model = ServableModel.createWithGlmTemplate(dir);
        Tokenizer tokenizer = Tokenizer.load(model);
        ChatTemplate template = ChatTemplate.load(model);
        ScriptedEngine engine = new ScriptedEngine();
        JsonNode result;
        try (ServeCommand.Served served = command(model).start(pipeline -> engine)) {
            int eos = ConfigLoader.load(model.resolve("config.json")).eosTokenIds().getFirst();
            engine.turns.add(ids(tokenizer, "\n<think>The user wants a forecast.</think>\n<tool_call>get_weather\n"
                    + "<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n"
                    + "</tool_call>", eos));
            engine.turns.add(ids(tokenizer, "\n<think>The tool answered.</think>\nSunny in Paris, highs of 21 °C.", eos));
            engine.requests.clear();
            result = node.run("tools", "http://127.0.0.1:" + served.server().port() + "/v1", KEY, "m");
        }
        JsonNode first = result.get("first");
        assertEquals("tool_calls", first.get("finish").asText());
        assertEquals("The user wants a forecast.", first.get("reasoning").asText());
        assertEquals("", first.get("content").asText());
        assertEquals(1, first.get("toolCalls").size(), first.toString());
        JsonNode call = first.get("toolCalls").get(0);
        assertTrue(call.get("id").asText().startsWith("call_"), call.toString());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertEquals(JSON.readTree("{\"city\":\"Paris\",\"days\":3}"), call.get("parsed"));

        JsonNode second = result.get("second");
        assertEquals("stop", second.get("finish").asText());
        assertEquals("The tool answered.", second.get("reasoning").asText());
        assertEquals("Sunny in Paris, highs of 21 °C.", second.get("content").asText());
        assertEquals(0, second.get("toolCalls").size());

        List<Map<String, Object>> tools;
        try (InputStream in = getClass().getResourceAsStream("/openai-node/tools.json")) {
            tools = JSON.readValue(in, new TypeReference<>() {
            });
        }
        Map<String, Object> user = Map.of("role", "user", "content", "What is the weather in Paris for the next 3 days?");
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("city", "Paris");
        arguments.put("days", 3);
        Map<String, Object> assistant = Map.of("role", "assistant", "content", "", "tool_calls",
                List.of(Map.of("id", call.get("id").asText(), "type", "function",
                        "function", Map.of("name", "get_weather", "arguments", arguments))));
        Map<String, Object> tool = Map.of("role", "tool", "tool_call_id", call.get("id").asText(),
                "content", "{\"forecast\":\"sunny\",\"high_c\":21}");
        assertEquals(2, engine.requests.size());
        assertEquals(template.render(List.of(user), tools, true, THINKING),
                tokenizer.decode(engine.requests.get(0).prompt(), false));
        assertEquals(template.render(List.of(user, assistant, tool), tools, true, THINKING),
                tokenizer.decode(engine.requests.get(1).prompt(), false));
    }

    private static int[] ids(Tokenizer tokenizer, String text, int eos) {
        return IntStream.concat(IntStream.of(tokenizer.encode(text, false)), IntStream.of(eos)).toArray();
    }
}
