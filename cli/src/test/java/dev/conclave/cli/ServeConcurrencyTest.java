package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Continuous batching must not change greedy results: 50 streams at once equal the same 50 one at a time. */
class ServeConcurrencyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REQUESTS = 50;

    @TempDir
    Path dir;

    /** What a client sees of one streamed completion: its text, its finish reason and its usage. */
    record Streamed(String content, String reasoning, String finish, JsonNode usage) {
    }

    private static Streamed stream(HttpClient http, String base, int i) throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"prompt number " + i + " " + "ab".repeat(i % 7)
                + "\"}],\"max_tokens\":" + (8 + i % 13) + ",\"temperature\":0,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}";
        HttpResponse<java.util.stream.Stream<String>> response = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        boolean done = false;
        for (String line : (Iterable<String>) response.body()::iterator) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                done = true;
                continue;
            }
            JsonNode chunk = JSON.readTree(data);
            assertTrue(!chunk.has("error"), data);
            if (chunk.has("usage") && !chunk.get("usage").isNull()) {
                usage = chunk.get("usage");
                // The decode speed differs from run to run; the token counts must not.
                ((ObjectNode) usage).remove("conclave");
            }
            for (JsonNode choice : chunk.get("choices")) {
                content.append(choice.get("delta").path("content").asText(""));
                reasoning.append(choice.get("delta").path("reasoning_content").asText(""));
                if (!choice.get("finish_reason").isNull()) {
                    finish = choice.get("finish_reason").asText();
                }
            }
        }
        assertTrue(done, "the stream did not end with [DONE]");
        return new Streamed(content.toString(), reasoning.toString(), finish, usage);
    }

    @Test
    void fiftyConcurrentGreedyStreamsEqualTheirLoneRuns() throws Exception {
        Path model = ServableModel.create(dir);
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--model", model.toString(), "--port", "0", "--grpc-port", "-1", "--served-name", "m",
                "--threads", "2", "--max-seqs", "16", "--prefill-chunk", "8");
        try (ServeCommand.Served served = command.start()) {
            String base = "http://127.0.0.1:" + served.server().port();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<Streamed> alone = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                alone.add(stream(http, base, i));
            }
            List<Future<Streamed>> together = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < REQUESTS; i++) {
                    int n = i;
                    together.add(clients.submit(() -> stream(http, base, n)));
                }
            }
            for (int i = 0; i < REQUESTS; i++) {
                assertEquals(alone.get(i), together.get(i).get(), "request " + i);
                assertTrue(alone.get(i).usage().get("completion_tokens").asInt() > 0, "request " + i);
            }
        }
    }
}
