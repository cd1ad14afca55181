package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenAiServerTest {
    private static final String ANSWER = "\n<think>Need the weather.</think>\nLet me check."
            + "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
            + "<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>";
    private static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
             "properties":{"city":{"type":"string"},"days":{"type":"integer"}}}}}]""";

    @TempDir
    Path dir;
    private Tokenizer tokenizer;
    private final ScriptedEngine engine = new ScriptedEngine();
    private final List<Map<String, Object>> renderedExtra = new ArrayList<>();
    private final List<List<Map<String, Object>>> renderedMessages = new ArrayList<>();
    private OpenAiServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        tokenizer = TinyTokenizer.create(dir);
        startServer(Optional.empty(), 4096);
    }

    private void startServer(Optional<String> key, int context) throws Exception {
        startServer(new ServerSettings("glm-test", context, Set.of(TinyTokenizer.ENDOFTEXT, TinyTokenizer.USER), key));
    }

    private void startServer(ServerSettings settings) throws Exception {
        if (server != null) {
            server.close();
        }
        PromptRenderer renderer = (messages, tools, generation, extra) -> {
            renderedExtra.add(extra);
            renderedMessages.add(messages);
            StringBuilder prompt = new StringBuilder("[gMASK]");
            messages.forEach(m -> prompt.append("<|").append(m.get("role")).append("|>").append(m.get("content")));
            return prompt.append(tools.isEmpty() ? "" : "tools").append("<|assistant|>").toString();
        };
        server = new OpenAiServer(engine, tokenizer, renderer).start("127.0.0.1", 0, settings);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private void script(String text) {
        int[] ids = tokenizer.encode(text, false);
        engine.script = IntStream.concat(IntStream.of(ids), IntStream.of(TinyTokenizer.USER)).toArray();
    }

    private HttpResponse<String> send(String method, String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return send("POST", path, body, null);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    private static String chat(String extra) {
        return "{\"model\":\"glm-test\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"weather in Paris?\"}],\"tools\":" + TOOLS + extra + "}";
    }

    static List<JsonNode> events(String body) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        String[] parts = body.split("\n\n");
        assertEquals("data: [DONE]", parts[parts.length - 1]);
        for (int i = 0; i < parts.length - 1; i++) {
            assertTrue(parts[i].startsWith("data: "), parts[i]);
            out.add(Json.MAPPER.readTree(parts[i].substring(6)));
        }
        return out;
    }

    @Test
    void chatReturnsReasoningContentAndToolCall() throws Exception {
        script(ANSWER);
        HttpResponse<String> r = post("/v1/chat/completions", chat(""));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = json(r).get("choices").get(0);
        JsonNode message = choice.get("message");
        assertEquals("Need the weather.", message.get("reasoning_content").asText());
        assertEquals("Let me check.", message.get("content").asText());
        JsonNode call = message.get("tool_calls").get(0);
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertEquals(Json.MAPPER.readTree("{\"city\":\"Paris\",\"days\":3}"),
                Json.MAPPER.readTree(call.get("function").get("arguments").asText()));
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        JsonNode usage = json(r).get("usage");
        assertEquals(engine.lastRequest.prompt().length, usage.get("prompt_tokens").asInt());
        assertEquals(engine.script.length, usage.get("completion_tokens").asInt());
        assertEquals(Map.of("enable_thinking", true), renderedExtra.getLast());
        assertEquals(Set.of(TinyTokenizer.ENDOFTEXT, TinyTokenizer.USER), engine.lastRequest.stopIds());
    }

    @Test
    void streamedDeltasAddUpToTheWholeMessage() throws Exception {
        script(ANSWER);
        JsonNode whole = json(post("/v1/chat/completions", chat(""))).get("choices").get(0);
        HttpResponse<String> r = post("/v1/chat/completions",
                chat(",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElseThrow());
        List<JsonNode> chunks = events(r.body());
        assertEquals("assistant", chunks.getFirst().get("choices").get(0).get("delta").get("role").asText());
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        List<ObjectNode> calls = new ArrayList<>();
        String finish = null;
        for (JsonNode chunk : chunks.subList(0, chunks.size() - 1)) {
            JsonNode c = chunk.get("choices").get(0);
            JsonNode delta = c.get("delta");
            reasoning.append(delta.path("reasoning_content").asText(""));
            content.append(delta.path("content").asText(""));
            for (JsonNode call : delta.path("tool_calls")) {
                int index = call.get("index").asInt();
                if (call.has("id")) {
                    ObjectNode start = Json.MAPPER.createObjectNode().put("id", call.get("id").asText()).put("type", "function");
                    start.putObject("function").put("name", call.get("function").get("name").asText()).put("arguments", "");
                    calls.add(index, start);
                }
                ObjectNode function = (ObjectNode) calls.get(index).get("function");
                function.put("arguments", function.get("arguments").asText() + call.get("function").get("arguments").asText());
            }
            if (!c.get("finish_reason").isNull()) {
                finish = c.get("finish_reason").asText();
            }
        }
        JsonNode message = whole.get("message");
        assertEquals(message.get("reasoning_content").asText(), reasoning.toString());
        assertEquals(message.get("content").asText(), content.toString());
        assertEquals(message.get("tool_calls").size(), calls.size());
        for (int i = 0; i < calls.size(); i++) {
            JsonNode expected = message.get("tool_calls").get(i);
            assertEquals(expected.get("function"), calls.get(i).get("function"));
            assertTrue(calls.get(i).get("id").asText().startsWith("call_"));
        }
        assertEquals("tool_calls", finish);
        JsonNode usage = chunks.getLast().get("usage");
        assertEquals(engine.script.length, usage.get("completion_tokens").asInt());
        assertTrue(chunks.getLast().get("choices").isEmpty());
    }

    @Test
    void samplingParametersAndThinkingSwitchReachTheEngine() throws Exception {
        script("hi");
        HttpResponse<String> r = post("/v1/chat/completions", chat(",\"max_tokens\":7,\"temperature\":0.5,\"top_p\":0.9,"
                + "\"top_k\":20,\"seed\":42,\"chat_template_kwargs\":{\"enable_thinking\":false}"));
        assertEquals(200, r.statusCode(), r.body());
        var request = engine.lastRequest;
        assertEquals(7, request.maxTokens());
        assertEquals(0.5, request.temperature());
        assertEquals(0.9, request.topP());
        assertEquals(20, request.topK());
        assertEquals(42, request.seed());
        assertEquals(Map.of("enable_thinking", false), renderedExtra.getLast());
        assertEquals("hi", json(r).get("choices").get(0).get("message").get("content").asText());
        assertEquals("stop", json(r).get("choices").get(0).get("finish_reason").asText());
    }

    private static String toolTurn(String arguments) {
        return "{\"model\":\"glm-test\",\"messages\":[{\"role\":\"user\",\"content\":\"weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":" + arguments + "}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"}],\"tools\":" + TOOLS + "}";
    }

    @Test
    void toolCallsSentBackReachTheTemplateWithObjectArgumentsAndNoNullContent() throws Exception {
        script("Sunny.");
        HttpResponse<String> r = post("/v1/chat/completions", toolTurn("\"{\\\"city\\\":\\\"Paris\\\",\\\"days\\\":3}\""));
        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> assistant = renderedMessages.getLast().get(1);
        assertEquals("", assistant.get("content"));
        Map<?, ?> function = (Map<?, ?>) ((Map<?, ?>) ((List<?>) assistant.get("tool_calls")).getFirst()).get("function");
        assertEquals(Map.of("city", "Paris", "days", 3), function.get("arguments"));

        assertEquals(200, post("/v1/chat/completions", toolTurn("{\"city\":\"Paris\"}")).statusCode());
        assertError(400, post("/v1/chat/completions", toolTurn("\"{city: Paris\"")),
                "messages[1].tool_calls[0].function.arguments is not valid JSON");
        assertError(400, post("/v1/chat/completions", toolTurn("\"[1]\"")), "must encode a JSON object");
    }

    @Test
    void maxTokensEndsWithLengthAndStopStringsCutTheContent() throws Exception {
        script("one two three four");
        JsonNode cut = json(post("/v1/chat/completions", chat(",\"max_tokens\":3,\"tool_choice\":\"none\"")));
        assertEquals("one", cut.get("choices").get(0).get("message").get("content").asText());
        assertEquals("length", cut.get("choices").get(0).get("finish_reason").asText());
        JsonNode stopped = json(post("/v1/chat/completions", chat(",\"stop\":[\"xyz\",\" three\"]")));
        assertEquals("one two", stopped.get("choices").get(0).get("message").get("content").asText());
        assertEquals("stop", stopped.get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void completionsTakeTextOrIdsWithoutATemplate() throws Exception {
        script(" world");
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\":\"hello\",\"stop\":\"rld\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(" wo", json(r).get("choices").get(0).get("text").asText());
        assertEquals("text_completion", json(r).get("object").asText());
        assertEquals(5, engine.lastRequest.prompt().length);
        HttpResponse<String> ids = post("/v1/completions", "{\"prompt\":[104,105],\"stream\":true}");
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : events(ids.body())) {
            text.append(chunk.get("choices").get(0).get("text").asText());
        }
        assertEquals(" world", text.toString());
        assertEquals(2, engine.lastRequest.prompt().length);
    }

    @Test
    void modelsAndHealth() throws Exception {
        JsonNode models = json(send("GET", "/v1/models", null, null));
        assertEquals("glm-test", models.get("data").get(0).get("id").asText());
        assertEquals(200, send("GET", "/health", null, null).statusCode());
    }

    private void assertError(int status, HttpResponse<String> r, String messagePart) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = json(r).get("error");
        assertTrue(error.get("message").asText().contains(messagePart), error.toString());
        assertTrue(error.has("type") && error.has("param") && error.has("code"), error.toString());
    }

    @Test
    void badRequestsGetOpenAiErrorsAndTheServerKeepsServing() throws Exception {
        assertError(400, post("/v1/chat/completions", "{not json"), "not valid JSON");
        assertError(400, post("/v1/chat/completions", "{}"), "messages is required");
        assertError(400, post("/v1/chat/completions", "{\"messages\":\"hi\"}"), "non-empty list");
        assertError(400, post("/v1/chat/completions", "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"), "wizard");
        assertError(400, post("/v1/chat/completions", chat(",\"max_tokens\":0")), "at least 1");
        assertError(400, post("/v1/chat/completions", chat(",\"temperature\":\"hot\"")), "temperature");
        assertError(400, post("/v1/chat/completions", chat(",\"stream\":1")), "stream");
        assertError(400, post("/v1/completions", "{\"prompt\":[1,99999]}"), "token ids");
        assertEquals("max_tokens", json(post("/v1/chat/completions", chat(",\"max_tokens\":-5"))).get("error").get("param").asText());
        startServer(Optional.empty(), 16);
        assertError(400, post("/v1/completions", "{\"prompt\":\"" + "a".repeat(16) + "\"}"), "context holds 16");
        assertError(404, send("GET", "/v1/nothing", null, null), "no such endpoint");
        assertError(405, send("GET", "/v1/chat/completions", null, null), "takes POST");
        script("ok");
        assertEquals(200, post("/v1/completions", "{\"prompt\":\"hi\"}").statusCode());
    }

    @Test
    void engineErrorsAre500AndTheServerKeepsServing() throws Exception {
        engine.error = "out of KV cache";
        assertError(500, post("/v1/chat/completions", chat("")), "out of KV cache");
        assertError(500, post("/v1/chat/completions", chat(",\"stream\":true")), "out of KV cache");
        engine.error = null;
        script("fine");
        assertEquals(200, post("/v1/chat/completions", chat("")).statusCode());
    }

    @Test
    void apiKeyIsRequiredOnlyWhenConfigured() throws Exception {
        script("ok");
        assertEquals(200, send("GET", "/v1/models", null, null).statusCode());
        startServer(Optional.of("s3cret"), 4096);
        assertError(401, send("GET", "/v1/models", null, null), "API key");
        assertError(401, send("GET", "/v1/models", null, "wrong"), "API key");
        assertEquals(200, send("GET", "/v1/models", null, "s3cret").statusCode());
        assertEquals(200, send("POST", "/v1/completions", "{\"prompt\":\"x\"}", "s3cret").statusCode());
        assertEquals(200, send("GET", "/health", null, null).statusCode());
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsRequest() throws Exception {
        engine.endless = true;
        String body = chat(",\"stream\":true");
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] first = new byte[256];
            assertTrue(in.read(first) > 0);
        }
        assertTrue(engine.cancelled.await(10, TimeUnit.SECONDS), "the request was not cancelled");
    }

    @Test
    void readyIs503UntilMarkedThen200AndNeedsNoKey() throws Exception {
        startServer(Optional.of("s3cret"), 4096);
        assertError(503, send("GET", "/ready", null, null), "not ready");
        assertEquals("not_ready", json(send("GET", "/ready", null, null)).get("error").get("code").asText());
        server.markReady();
        assertEquals(200, send("GET", "/ready", null, null).statusCode());
    }

    /** Opens a streaming chat on a raw socket and returns once its first bytes arrived: it holds a slot. */
    private Socket openStream() throws Exception {
        String body = chat(",\"stream\":true");
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        assertTrue(socket.getInputStream().read(new byte[256]) > 0);
        return socket;
    }

    @Test
    void requestsBeyondTheConcurrencyLimitGet429AndTheSlotComesBack() throws Exception {
        startServer(new ServerSettings("glm-test", 4096, Set.of(TinyTokenizer.ENDOFTEXT), Optional.empty(), 1, 1 << 20));
        engine.endless = true;
        try (Socket ignored = openStream()) {
            HttpResponse<String> refused = post("/v1/chat/completions", chat(""));
            assertError(429, refused, "concurrent requests");
            assertEquals("rate_limit_error", json(refused).get("error").get("type").asText());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
            assertEquals(1, metric("conclave_requests_in_flight"));
        }
        assertTrue(engine.cancelled.await(10, TimeUnit.SECONDS));
        engine.endless = false;
        script("ok");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int status;
        do {
            status = post("/v1/chat/completions", chat("")).statusCode();
        } while (status == 429 && System.nanoTime() < deadline);
        assertEquals(200, status);
    }

    private double metric(String name) throws Exception {
        HttpResponse<String> r = send("GET", "/metrics", null, null);
        assertEquals(200, r.statusCode());
        return r.body().lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow();
    }

    @Test
    void metricsReportTheHeapInPrometheusText() throws Exception {
        assertTrue(metric("conclave_heap_used_bytes") > 0);
        assertEquals(0, metric("conclave_requests_in_flight"));
        double collections = metric("conclave_gc_collections_total");
        System.gc();
        // The collector's notification arrives on its own thread, shortly after the collection.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (metric("conclave_gc_collections_total") == collections && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(metric("conclave_gc_collections_total") > collections, "no collection was reported");
        double afterGc = metric("conclave_heap_used_after_gc_bytes");
        assertTrue(afterGc > 0 && afterGc <= Runtime.getRuntime().totalMemory(), "heap after GC " + afterGc);
    }

    @Test
    void anOversizedBodyGets413AndTheServerKeepsServing() throws Exception {
        startServer(new ServerSettings("glm-test", 4096, Set.of(TinyTokenizer.ENDOFTEXT), Optional.empty(), 8, 2048));
        HttpResponse<String> r = post("/v1/chat/completions", chat(",\"user\":\"" + "x".repeat(4096) + "\""));
        assertError(413, r, "limit of 2048 bytes");
        assertEquals("request_too_large", json(r).get("error").get("code").asText());
        script("ok");
        assertEquals(200, post("/v1/chat/completions", chat("")).statusCode());
    }

    @Test
    void anUnknownModelGets404ModelNotFound() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", chat("").replace("\"glm-test\"", "\"gpt-4o\""));
        assertError(404, r, "gpt-4o");
        JsonNode error = json(r).get("error");
        assertEquals("model_not_found", error.get("code").asText());
        assertEquals("model", error.get("param").asText());
        assertError(404, post("/v1/completions", "{\"model\":\"other\",\"prompt\":\"hi\"}"), "does not exist");
    }

    @Test
    void nanTemperatureAndAbsurdMaxTokensGet400() throws Exception {
        assertError(400, post("/v1/chat/completions", chat(",\"temperature\":NaN")), "not valid JSON");
        assertError(400, post("/v1/chat/completions", chat(",\"temperature\":\"NaN\"")), "temperature");
        assertError(400, post("/v1/chat/completions", chat(",\"temperature\":1e999")), "temperature");
        HttpResponse<String> huge = post("/v1/chat/completions", chat(",\"max_tokens\":1000000"));
        assertError(400, huge, "context holds only 4096");
        assertEquals("max_tokens", json(huge).get("error").get("param").asText());
        assertError(400, post("/v1/chat/completions", chat(",\"max_tokens\":99999999999")), "integer");
        script("ok");
        assertEquals(200, post("/v1/chat/completions", chat(",\"max_tokens\":4096")).statusCode());
    }
}
