package dev.conclave.api.grpc;

import dev.conclave.api.generation.TokenOutput;
import dev.conclave.api.grpc.v1.AbortRequest;
import dev.conclave.api.grpc.v1.AbortResponse;
import dev.conclave.api.grpc.v1.ChatDelta;
import dev.conclave.api.grpc.v1.ChatRequest;
import dev.conclave.api.grpc.v1.ChatResponse;
import dev.conclave.api.grpc.v1.ConclaveGrpc;
import dev.conclave.api.grpc.v1.Finished;
import dev.conclave.api.grpc.v1.GenerateRequest;
import dev.conclave.api.grpc.v1.GenerateResponse;
import dev.conclave.api.grpc.v1.ListModelsRequest;
import dev.conclave.api.grpc.v1.ListModelsResponse;
import dev.conclave.api.grpc.v1.Model;
import dev.conclave.api.grpc.v1.MtpUsage;
import dev.conclave.api.grpc.v1.Started;
import dev.conclave.api.grpc.v1.TextDelta;
import dev.conclave.api.grpc.v1.TokenizeRequest;
import dev.conclave.api.grpc.v1.TokenizeResponse;
import dev.conclave.api.grpc.v1.ToolCallArguments;
import dev.conclave.api.grpc.v1.ToolCallStart;
import dev.conclave.api.grpc.v1.Usage;
import dev.conclave.api.openai.PromptRenderer;
import dev.conclave.api.openai.ServerSettings;
import dev.conclave.model.MtpStats;
import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.model.serving.TokenListener;
import dev.conclave.text.parse.GlmOutputParser;
import dev.conclave.text.parse.StreamEvent;
import dev.conclave.text.parse.ToolCallParser;
import dev.conclave.text.parse.ToolSchemas;
import dev.conclave.text.tokenizer.Tokenizer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The {@code conclave.v1.Conclave} RPCs over the engine, the tokenizer and the chat template. */
final class ConclaveService extends ConclaveGrpc.ConclaveImplBase {
    private final TokenEngine engine;
    private final Tokenizer tokenizer;
    private final PromptRenderer renderer;
    private final ServerSettings settings;
    private final RunningRequests running = new RunningRequests();

    ConclaveService(TokenEngine engine, Tokenizer tokenizer, PromptRenderer renderer, ServerSettings settings) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.renderer = renderer;
        this.settings = settings;
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> responses) {
        GenerationRequest generation;
        try {
            generation = Sampling.request(prompt(request), request.getSampling(), settings);
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        }
        TokenOutput output = new TokenOutput(tokenizer, null, settings.eosIds(), Sampling.stops(request.getSampling()));
        GenerationStream.start((ServerCallStreamObserver<GenerateResponse>) responses, engine, running, "gen-",
                generation, output, new GenerateEncoder());
    }

    @Override
    public void chat(ChatRequest request, StreamObserver<ChatResponse> responses) {
        GenerationRequest generation;
        ChatInput input;
        try {
            input = ChatInput.of(request);
            String prompt;
            try {
                prompt = renderer.render(input.messages(), input.tools(), true,
                        Map.of("enable_thinking", !request.hasEnableThinking() || request.getEnableThinking()));
            } catch (RuntimeException e) {
                throw Invalid.argument("the chat template rejected the messages: " + e.getMessage());
            }
            generation = Sampling.request(tokenizer.encode(prompt, false), request.getSampling(), settings);
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        }
        ToolCallParser tools = new ToolCallParser(ToolSchemas.fromOpenAiTools(input.toolsJson()), "call_");
        TokenOutput output = new TokenOutput(tokenizer, new GlmOutputParser(tools).stream(), settings.eosIds(),
                Sampling.stops(request.getSampling()));
        GenerationStream.start((ServerCallStreamObserver<ChatResponse>) responses, engine, running, "chat-",
                generation, output, new ChatEncoder());
    }

    @Override
    public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> responses) {
        int[] ids = tokenizer.encode(request.getText(), request.getAddSpecialTokens());
        responses.onNext(TokenizeResponse.newBuilder().addAllIds(Arrays.stream(ids).boxed().toList()).build());
        responses.onCompleted();
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
        responses.onNext(ListModelsResponse.newBuilder().addModels(Model.newBuilder()
                .setId(settings.modelName()).setContextLength(settings.contextLength())).build());
        responses.onCompleted();
    }

    @Override
    public void abort(AbortRequest request, StreamObserver<AbortResponse> responses) {
        if (request.getRequestId().isEmpty()) {
            responses.onError(Invalid.argument("request_id is required"));
            return;
        }
        responses.onNext(AbortResponse.newBuilder().setAborted(running.abort(request.getRequestId())).build());
        responses.onCompleted();
    }

    private int[] prompt(GenerateRequest request) {
        return switch (request.getPromptCase()) {
            case TEXT -> tokenizer.encode(request.getText(), false);
            case TOKEN_IDS -> {
                int[] ids = request.getTokenIds().getIdsList().stream().mapToInt(Integer::intValue).toArray();
                for (int id : ids) {
                    if (id < 0 || id >= engine.vocab()) {
                        throw Invalid.argument("token id " + id + " is outside the vocabulary [0, " + engine.vocab() + ")");
                    }
                }
                yield ids;
            }
            case PROMPT_NOT_SET -> throw Invalid.argument("prompt is required: set text or token_ids");
        };
    }

    private static Finished finished(String reason, TokenListener.Usage usage) {
        Usage.Builder u = Usage.newBuilder().setPromptTokens(usage.promptTokens())
                .setCompletionTokens(usage.completionTokens())
                .setTotalTokens(usage.promptTokens() + usage.completionTokens());
        if (usage.decodeNanos() > 0) {
            u.setDecodeTokensPerSecond(usage.decodeTokensPerSecond());
        }
        MtpStats mtp = usage.mtp();
        if (mtp != null) {
            MtpUsage.Builder m = MtpUsage.newBuilder().setVerifySteps((int) mtp.steps())
                    .setDraftTokens((int) mtp.proposedTotal()).setAcceptedDraftTokens((int) mtp.acceptedTotal());
            if (mtp.steps() > 0) {
                m.setMeanTokensPerStep(mtp.meanTokensPerStep());
            }
            for (int d = 0; d < mtp.drafts(); d++) {
                m.addAcceptanceRateByPosition(mtp.proposed(d) == 0 ? 0 : mtp.acceptanceRate(d));
            }
            u.setMtp(m);
        }
        return Finished.newBuilder().setFinishReason(reason).setUsage(u).build();
    }

    private static Started started(String id) {
        return Started.newBuilder().setRequestId(id).build();
    }

    /** Each id travels with the text it completed; text held back (a split character, a stop) joins a later one. */
    private static final class GenerateEncoder implements GenerationStream.Encoder<GenerateResponse> {
        private final List<Integer> ids = new ArrayList<>();

        @Override
        public GenerateResponse started(String requestId) {
            return GenerateResponse.newBuilder().setStarted(ConclaveService.started(requestId)).build();
        }

        @Override
        public void token(int id) {
            ids.add(id);
        }

        @Override
        public List<GenerateResponse> pieces(List<StreamEvent> events) {
            StringBuilder text = new StringBuilder();
            for (StreamEvent event : events) {
                if (event instanceof StreamEvent.Content(String content)) {
                    text.append(content);
                }
            }
            if (ids.isEmpty() && text.isEmpty()) {
                return List.of();
            }
            TextDelta delta = TextDelta.newBuilder().addAllTokenIds(ids).setText(text.toString()).build();
            ids.clear();
            return List.of(GenerateResponse.newBuilder().setDelta(delta).build());
        }

        @Override
        public GenerateResponse finished(String reason, TokenListener.Usage usage) {
            return GenerateResponse.newBuilder().setFinished(ConclaveService.finished(reason, usage)).build();
        }
    }

    /** One delta per parsed piece, as in the OpenAI stream; a turn that called tools ends with "tool_calls". */
    private static final class ChatEncoder implements GenerationStream.Encoder<ChatResponse> {
        private boolean toolsCalled;

        @Override
        public ChatResponse started(String requestId) {
            return ChatResponse.newBuilder().setStarted(ConclaveService.started(requestId)).build();
        }

        @Override
        public void token(int id) {
        }

        @Override
        public List<ChatResponse> pieces(List<StreamEvent> events) {
            List<ChatResponse> out = new ArrayList<>();
            for (StreamEvent event : events) {
                ChatDelta.Builder delta = ChatDelta.newBuilder();
                switch (event) {
                    case StreamEvent.Reasoning(String text) -> delta.setReasoning(text);
                    case StreamEvent.Content(String text) -> delta.setContent(text);
                    case StreamEvent.ToolCallStart(int index, String id, String name) -> {
                        toolsCalled = true;
                        delta.setToolCallStart(ToolCallStart.newBuilder().setIndex(index).setId(id).setName(name));
                    }
                    case StreamEvent.ToolCallArguments(int index, String fragment) -> delta.setToolCallArguments(
                            ToolCallArguments.newBuilder().setIndex(index).setFragment(fragment));
                }
                out.add(ChatResponse.newBuilder().setDelta(delta).build());
            }
            return out;
        }

        @Override
        public ChatResponse finished(String reason, TokenListener.Usage usage) {
            String finish = toolsCalled && reason.equals("stop") ? "tool_calls" : reason;
            return ChatResponse.newBuilder().setFinished(ConclaveService.finished(finish, usage)).build();
        }
    }
}
