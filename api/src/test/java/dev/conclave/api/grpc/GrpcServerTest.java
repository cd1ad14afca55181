package dev.conclave.api.grpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.api.grpc.v1.AbortRequest;
import dev.conclave.api.grpc.v1.ChatDelta;
import dev.conclave.api.grpc.v1.ChatMessage;
import dev.conclave.api.grpc.v1.ChatRequest;
import dev.conclave.api.grpc.v1.ChatResponse;
import dev.conclave.api.grpc.v1.ConclaveGrpc;
import dev.conclave.api.grpc.v1.Finished;
import dev.conclave.api.grpc.v1.GenerateRequest;
import dev.conclave.api.grpc.v1.GenerateResponse;
import dev.conclave.api.grpc.v1.ListModelsRequest;
import dev.conclave.api.grpc.v1.MtpUsage;
import dev.conclave.api.grpc.v1.SamplingParams;
import dev.conclave.api.grpc.v1.TokenIds;
import dev.conclave.api.grpc.v1.TokenizeRequest;
import dev.conclave.api.grpc.v1.Usage;
import dev.conclave.api.openai.PromptRenderer;
import dev.conclave.api.openai.ScriptedEngine;
import dev.conclave.api.openai.ServerSettings;
import dev.conclave.api.openai.TinyTokenizer;
import dev.conclave.model.MtpStats;
import dev.conclave.text.tokenizer.Tokenizer;
import io.grpc.CallCredentials;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gRPC API over a real Netty server on 127.0.0.1 and a grpc-java client, with a scripted engine. */
class GrpcServerTest {
    private static final String ANSWER = "\n<think>Need the weather.</think>\nLet me check."
            + "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
            + "<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>";
    private static final String WEATHER_TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
            + "\"days\":{\"type\":\"integer\"}}}}}";

    @TempDir
    Path dir;
    private Tokenizer tokenizer;
    private final ScriptedEngine engine = new ScriptedEngine();
    private final List<Map<String, Object>> renderedExtra = new ArrayList<>();
    private GrpcServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        tokenizer = TinyTokenizer.create(dir);
        startServer(Optional.empty());
    }

    private void startServer(Optional<String> key) {
        stop();
        PromptRenderer renderer = (messages, tools, generation, extra) -> {
            renderedExtra.add(extra);
            StringBuilder prompt = new StringBuilder("[gMASK]");
            messages.forEach(m -> prompt.append("<|").append(m.get("role")).append("|>").append(m.get("content")));
            return prompt.append(tools.isEmpty() ? "" : "tools").append("<|assistant|>").toString();
        };
        server = new GrpcServer(engine, tokenizer, renderer).start("127.0.0.1", 0,
                new ServerSettings("glm-test", 4096, Set.of(TinyTokenizer.ENDOFTEXT, TinyTokenizer.USER), key));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
    }

    private ConclaveGrpc.ConclaveBlockingStub stub() {
        return ConclaveGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private int[] script(String text) {
        int[] ids = IntStream.concat(IntStream.of(tokenizer.encode(text, false)), IntStream.of(TinyTokenizer.USER))
                .toArray();
        engine.script = ids;
        return ids;
    }

    @Test
    void generateStreamsIdsAndTextThatReassemble() {
        int[] ids = script("Hello, wörld!");
        List<GenerateResponse> responses = new ArrayList<>();
        stub().generate(GenerateRequest.newBuilder().setText("Hi").build()).forEachRemaining(responses::add);

        assertTrue(responses.getFirst().getStarted().getRequestId().startsWith("gen-"));
        StringBuilder text = new StringBuilder();
        List<Integer> got = new ArrayList<>();
        for (GenerateResponse r : responses.subList(1, responses.size() - 1)) {
            text.append(r.getDelta().getText());
            got.addAll(r.getDelta().getTokenIdsList());
        }
        assertEquals("Hello, wörld!", text.toString());
        assertArrayEquals(ids, got.stream().mapToInt(Integer::intValue).toArray());
        Finished finished = responses.getLast().getFinished();
        assertEquals("stop", finished.getFinishReason());
        assertEquals(2, finished.getUsage().getPromptTokens());
        assertEquals(ids.length, finished.getUsage().getCompletionTokens());
        assertEquals(2 + ids.length, finished.getUsage().getTotalTokens());
    }

    /** The engine's MTP counters and decode speed reach the gRPC usage: 2 steps of 3 drafts, 2 + 0 accepted. */
    @Test
    void usageCarriesMtpCountersAndDecodeSpeed() {
        int[] ids = script("abcdef");
        MtpStats stats = new MtpStats(3);
        stats.record(3, 2);
        stats.record(3, 0);
        engine.mtp = stats;
        List<GenerateResponse> responses = new ArrayList<>();
        stub().generate(GenerateRequest.newBuilder().setText("Hi").build()).forEachRemaining(responses::add);
        Usage usage = responses.getLast().getFinished().getUsage();
        assertEquals((ids.length - 1) / 0.5, usage.getDecodeTokensPerSecond(), 1e-9);
        MtpUsage mtp = usage.getMtp();
        assertEquals(2, mtp.getVerifySteps());
        assertEquals(6, mtp.getDraftTokens());
        assertEquals(2, mtp.getAcceptedDraftTokens());
        assertEquals(2.0, mtp.getMeanTokensPerStep(), 1e-9);
        assertEquals(List.of(0.5, 0.5, 0.0), mtp.getAcceptanceRateByPositionList());
    }

    @Test
    void generateTakesTokenIdsAndHonoursStopAndLimit() {
        script("one two three");
        SamplingParams sampling = SamplingParams.newBuilder().setMaxTokens(100).addStop(" three")
                .setTemperature(0).setSeed(7).build();
        GenerateRequest request = GenerateRequest.newBuilder()
                .setTokenIds(TokenIds.newBuilder().addIds(104).addIds(105)).setSampling(sampling).build();
        StringBuilder text = new StringBuilder();
        stub().generate(request).forEachRemaining(r -> text.append(r.getDelta().getText()));
        assertEquals("one two", text.toString());
        assertArrayEquals(new int[] {104, 105}, engine.lastRequest.prompt());
        assertEquals(7, engine.lastRequest.seed());
        assertEquals(0.0, engine.lastRequest.temperature());
    }

    @Test
    void chatStreamsReasoningContentAndToolCallPieces() throws Exception {
        script(ANSWER);
        ChatRequest request = ChatRequest.newBuilder()
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("Weather in Paris?"))
                .addToolsJson(WEATHER_TOOL).setEnableThinking(true).build();
        List<ChatResponse> responses = new ArrayList<>();
        stub().chat(request).forEachRemaining(responses::add);

        assertTrue(responses.getFirst().getStarted().getRequestId().startsWith("chat-"));
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        List<String> names = new ArrayList<>();
        List<StringBuilder> arguments = new ArrayList<>();
        for (ChatResponse r : responses.subList(1, responses.size() - 1)) {
            ChatDelta d = r.getDelta();
            switch (d.getPieceCase()) {
                case REASONING -> reasoning.append(d.getReasoning());
                case CONTENT -> content.append(d.getContent());
                case TOOL_CALL_START -> {
                    assertEquals(names.size(), d.getToolCallStart().getIndex());
                    assertTrue(d.getToolCallStart().getId().startsWith("call_"));
                    names.add(d.getToolCallStart().getName());
                    arguments.add(new StringBuilder());
                }
                case TOOL_CALL_ARGUMENTS -> arguments.get(d.getToolCallArguments().getIndex())
                        .append(d.getToolCallArguments().getFragment());
                case PIECE_NOT_SET -> throw new AssertionError("empty delta");
            }
        }
        assertEquals("Need the weather.", reasoning.toString().strip());
        assertEquals("Let me check.", content.toString().strip());
        assertEquals(List.of("get_weather"), names);
        assertEquals(Map.of("city", "Paris", "days", 3),
                new ObjectMapper().readValue(arguments.getFirst().toString(), Map.class));
        assertEquals("tool_calls", responses.getLast().getFinished().getFinishReason());
        assertEquals(Map.of("enable_thinking", true), renderedExtra.getLast());
    }

    @Test
    void tokenizeAndListModels() {
        var ids = stub().tokenize(TokenizeRequest.newBuilder().setText("Hi <think>").build()).getIdsList();
        assertArrayEquals(tokenizer.encode("Hi <think>", false), ids.stream().mapToInt(Integer::intValue).toArray());
        var models = stub().listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
        assertEquals(1, models.size());
        assertEquals("glm-test", models.getFirst().getId());
        assertEquals(4096, models.getFirst().getContextLength());
    }

    @Test
    void apiKeyIsRequiredExceptForHealth() {
        startServer(Optional.of("s3cret"));
        var refused = assertThrows(StatusRuntimeException.class,
                () -> stub().listModels(ListModelsRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        var wrong = assertThrows(StatusRuntimeException.class,
                () -> stub().withCallCredentials(bearer("nope")).listModels(ListModelsRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
        assertEquals("glm-test", stub().withCallCredentials(bearer("s3cret"))
                .listModels(ListModelsRequest.getDefaultInstance()).getModels(0).getId());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus());
    }

    @Test
    void badRequestsAreInvalidArgumentsWithReasons() {
        var noPrompt = assertThrows(StatusRuntimeException.class,
                () -> stub().generate(GenerateRequest.getDefaultInstance()).next());
        assertEquals(Status.Code.INVALID_ARGUMENT, noPrompt.getStatus().getCode());
        assertEquals("prompt is required: set text or token_ids", noPrompt.getStatus().getDescription());
        var hot = assertThrows(StatusRuntimeException.class, () -> stub().generate(GenerateRequest.newBuilder()
                .setText("x").setSampling(SamplingParams.newBuilder().setTemperature(3)).build()).next());
        assertEquals(Status.Code.INVALID_ARGUMENT, hot.getStatus().getCode());
        assertEquals("temperature must be in [0, 2], got 3.0", hot.getStatus().getDescription());
        var badTool = assertThrows(StatusRuntimeException.class, () -> stub().chat(ChatRequest.newBuilder()
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("x"))
                .addToolsJson("{not json").build()).next());
        assertEquals(Status.Code.INVALID_ARGUMENT, badTool.getStatus().getCode());
        assertTrue(badTool.getStatus().getDescription().startsWith("tools_json[0] is not valid JSON"));
        var badRole = assertThrows(StatusRuntimeException.class, () -> stub().chat(ChatRequest.newBuilder()
                .addMessages(ChatMessage.newBuilder().setRole("robot")).build()).next());
        assertTrue(badRole.getStatus().getDescription().startsWith("messages[0].role 'robot' is not one of"));
    }

    @Test
    void clientCancellationCancelsTheGeneration() throws Exception {
        engine.endless = true;
        try (Context.CancellableContext call = Context.current().withCancellation()) {
            Iterator<GenerateResponse> responses = call.call(
                    () -> stub().generate(GenerateRequest.newBuilder().setText("go").build()));
            responses.next();
            responses.next();
            call.cancel(null);
        }
        assertTrue(engine.cancelled.await(5, TimeUnit.SECONDS), "the engine was never told to cancel");
    }

    @Test
    void abortByRequestIdEndsTheStreamWithAbort() throws Exception {
        engine.endless = true;
        Iterator<GenerateResponse> responses = stub().generate(GenerateRequest.newBuilder().setText("go").build());
        String id = responses.next().getStarted().getRequestId();
        assertTrue(stub().abort(AbortRequest.newBuilder().setRequestId(id).build()).getAborted());
        GenerateResponse last = responses.next();
        while (responses.hasNext()) {
            last = responses.next();
        }
        assertEquals("abort", last.getFinished().getFinishReason());
        assertTrue(engine.cancelled.await(1, TimeUnit.SECONDS));
        assertTrue(!stub().abort(AbortRequest.newBuilder().setRequestId(id).build()).getAborted());
    }

    private static CallCredentials bearer(String key) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
                applier.apply(headers);
            }
        };
    }
}
