package dev.conclave.api.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.MarkovCheckpoint;
import dev.conclave.model.serving.ContinuousBatchingEngine;
import dev.conclave.text.tokenizer.Tokenizer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A tool call streamed through the OpenAI server from a real batching engine drafting with MTP, on a model
 * whose output is the call and whose drafts are wrong at every other token inside it (the vLLM bug: arguments
 * corrupted when drafts are rejected). Rejected drafts never reach the parser: the arguments come out whole.
 */
class SpeculativeToolCallStreamTest {

    private static final List<String> PIECES = List.of("get_weather\n", "city", "Par", "is", ", ", "Fra", "nce",
            " and", " the", " Lo", "ire");
    private static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
             "properties":{"city":{"type":"string"}}}}}]""";
    private static final String ARGUMENTS = "{\"city\":\"Paris, France and the Loire\"}";

    @TempDir
    Path dir;

    private static int added(String tag) {
        return 256 + TinyTokenizer.ADDED.indexOf(tag);
    }

    private static int piece(String text) {
        return TinyTokenizer.VOCAB + PIECES.indexOf(text);
    }

    /** <|assistant|> (the prompt's last token), then the call piece by piece, then end of text. */
    private static int[] chain() {
        List<Integer> c = new ArrayList<>(List.of(added("<|assistant|>"), added("<tool_call>"), piece("get_weather\n"),
                added("<arg_key>"), piece("city"), added("</arg_key>"), added("<arg_value>")));
        for (String p : PIECES.subList(2, PIECES.size())) {
            c.add(piece(p));
        }
        c.addAll(List.of(added("</arg_value>"), added("</tool_call>"), TinyTokenizer.ENDOFTEXT));
        return c.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Greedy (exact-match acceptance) and temperature 1 (rejection sampling, the residual emitted). */
    @ParameterizedTest
    @ValueSource(doubles = {0, 1})
    void toolCallArgumentsStreamWholeWhileDraftsAreRejectedMidCall(double temperature) throws Exception {
        Tokenizer tokenizer = TinyTokenizer.create(dir, PIECES);
        // Wrong drafts at every other token from the arg key to the closing tags.
        Path model = MarkovCheckpoint.scripted(dir.resolve("checkpoint"), TinyTokenizer.VOCAB + PIECES.size(), chain(),
                Set.of(3, 5, 7, 9, 11, 13, 15), 'X');
        PromptRenderer renderer = (messages, tools, generation, extra) -> "[gMASK]<|user|>weather?<|assistant|>";
        ServerSettings settings = new ServerSettings("glm-test", 512, Set.of(TinyTokenizer.ENDOFTEXT, TinyTokenizer.USER),
                Optional.empty());
        try (Checkpoint checkpoint = Checkpoint.open(model); Parallel parallel = Parallel.create(2);
             var engine = new ContinuousBatchingEngine(InProcessPipeline.load(checkpoint, parallel),
                     new ContinuousBatchingEngine.Settings(1L << 26, 4, 64, 3))) {
            OpenAiServer server = new OpenAiServer(engine, tokenizer, renderer).start("127.0.0.1", 0, settings);
            try {
                String body = "{\"model\":\"glm-test\",\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"
                        + "\"temperature\":" + temperature + ",\"tools\":" + TOOLS;
                JsonNode whole = Json.MAPPER.readTree(post(server, body + "}"));
                JsonNode call = whole.get("choices").get(0).get("message").get("tool_calls").get(0);
                assertEquals("get_weather", call.get("function").get("name").asText());
                assertEquals(Json.MAPPER.readTree(ARGUMENTS), Json.MAPPER.readTree(call.get("function").get("arguments").asText()));
                JsonNode mtp = whole.get("usage").get("conclave").get("mtp");
                assertTrue(mtp.get("accepted_draft_tokens").asInt() > 0, mtp.toString());
                assertTrue(mtp.get("accepted_draft_tokens").asInt() + 3 <= mtp.get("draft_tokens").asInt(), mtp.toString());

                List<JsonNode> chunks = OpenAiServerTest.events(post(server, body + ",\"stream\":true}"));
                StringBuilder arguments = new StringBuilder();
                int deltas = 0;
                for (JsonNode chunk : chunks) {
                    for (JsonNode c : chunk.path("choices").path(0).path("delta").path("tool_calls")) {
                        String piece = c.get("function").path("arguments").asText("");
                        if (!piece.isEmpty()) {
                            arguments.append(piece);
                            deltas++;
                        }
                    }
                }
                assertEquals(Json.MAPPER.readTree(ARGUMENTS), Json.MAPPER.readTree(arguments.toString()));
                assertTrue(deltas > 3, "the arguments streamed in pieces: " + deltas);

                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(metric(metrics, "conclave_mtp_draft_tokens_total{position=\"1\"}") >= 2, metrics);
                assertTrue(metric(metrics, "conclave_mtp_accepted_tokens_total{position=\"3\"}")
                        < metric(metrics, "conclave_mtp_draft_tokens_total{position=\"3\"}"), metrics);
                assertTrue(metric(metrics, "conclave_mtp_mean_tokens_per_step") > 1, metrics);
                assertTrue(metric(metrics, "conclave_decode_tokens_total") >= 2 * 17, metrics);
            } finally {
                server.close();
            }
        }
    }

    private static double metric(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in " + metrics));
    }

    private static String post(OpenAiServer server, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
