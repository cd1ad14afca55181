package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.api.generation.Generation;
import dev.conclave.api.generation.GenerationLoop;
import dev.conclave.api.generation.TokenOutput;
import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.text.parse.GlmOutputParser;
import dev.conclave.text.parse.ParsedOutput;
import dev.conclave.text.parse.StreamEvent;
import dev.conclave.text.parse.ToolCall;
import dev.conclave.text.parse.ToolCallParser;
import dev.conclave.text.parse.ToolSchemas;
import dev.conclave.text.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code POST /v1/chat/completions}: template, tokenize, generate, parse reasoning and tool calls. */
final class ChatCompletions {
    private final TokenEngine engine;
    private final Tokenizer tokenizer;
    private final PromptRenderer renderer;
    private final ServerSettings settings;

    ChatCompletions(TokenEngine engine, Tokenizer tokenizer, PromptRenderer renderer, ServerSettings settings) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.renderer = renderer;
        this.settings = settings;
    }

    void handle(JsonNode body, Exchange exchange) throws IOException {
        ChatRequest request = ChatRequest.parse(body);
        String prompt;
        try {
            prompt = renderer.render(request.messages(), request.tools(), true,
                    Map.of("enable_thinking", request.enableThinking()));
        } catch (RuntimeException e) {
            throw ApiException.invalid("the chat template rejected the messages: " + e.getMessage(), "messages");
        }
        GenerationRequest generation = request.sampling().toRequest(tokenizer.encode(prompt, false), settings);
        Ids ids = Ids.chat(settings.modelName());
        ToolCallParser tools = new ToolCallParser(ToolSchemas.fromOpenAiTools(request.toolsJson()), ids.callPrefix());
        TokenOutput output = new TokenOutput(tokenizer, new GlmOutputParser(tools).stream(), settings.eosIds(),
                request.sampling().stop());
        Generation running = Generation.submit(engine, generation);
        if (request.sampling().stream()) {
            stream(running, output, ids, request.sampling().includeUsage(), exchange);
        } else {
            whole(running, output, ids, exchange);
        }
    }

    private void whole(Generation running, TokenOutput output, Ids ids, Exchange exchange) throws IOException {
        List<StreamEvent> events = new ArrayList<>();
        GenerationLoop.Outcome outcome = GenerationLoop.run(running, output, new GenerationLoop.Sink() {
            @Override
            public void start() {
            }

            @Override
            public void accept(List<StreamEvent> more) {
                events.addAll(more);
            }
        });
        ParsedOutput parsed = ParsedOutput.collect(events);
        ObjectNode response = ids.envelope("chat.completion");
        ObjectNode choice = response.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", parsed.content());
        message.put("reasoning_content", parsed.reasoning());
        if (parsed.toolsCalled()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolCall call : parsed.toolCalls()) {
                calls.add(call.toOpenAi());
            }
        }
        choice.put("finish_reason", finishReason(outcome, parsed.toolsCalled()));
        response.set("usage", Ids.usage(outcome.usage()));
        exchange.json(200, response);
    }

    private void stream(Generation running, TokenOutput output, Ids ids, boolean includeUsage, Exchange exchange)
            throws IOException {
        boolean[] toolsCalled = {false};
        GenerationLoop.Outcome outcome = GenerationLoop.run(running, output, new GenerationLoop.Sink() {
            @Override
            public void start() throws IOException {
                exchange.startEvents();
                ObjectNode delta = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
                exchange.event(chunk(ids, delta, null));
            }

            @Override
            public void accept(List<StreamEvent> events) throws IOException {
                for (StreamEvent event : events) {
                    toolsCalled[0] |= event instanceof StreamEvent.ToolCallStart;
                    exchange.event(chunk(ids, delta(event), null));
                }
            }
        });
        exchange.event(chunk(ids, Json.MAPPER.createObjectNode(), finishReason(outcome, toolsCalled[0])));
        if (includeUsage) {
            ObjectNode last = ids.envelope("chat.completion.chunk");
            last.putArray("choices");
            last.set("usage", Ids.usage(outcome.usage()));
            exchange.event(last);
        }
        exchange.endEvents();
    }

    private static ObjectNode delta(StreamEvent event) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        switch (event) {
            case StreamEvent.Reasoning(String text) -> delta.put("reasoning_content", text);
            case StreamEvent.Content(String text) -> delta.put("content", text);
            case StreamEvent.ToolCallStart(int index, String id, String name) -> {
                ObjectNode call = delta.putArray("tool_calls").addObject();
                call.put("index", index).put("id", id).put("type", "function");
                call.putObject("function").put("name", name).put("arguments", "");
            }
            case StreamEvent.ToolCallArguments(int index, String fragment) -> {
                ObjectNode call = delta.putArray("tool_calls").addObject();
                call.put("index", index);
                call.putObject("function").put("arguments", fragment);
            }
        }
        return delta;
    }

    private static ObjectNode chunk(Ids ids, ObjectNode delta, String finishReason) {
        ObjectNode chunk = ids.envelope("chat.completion.chunk");
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.put("finish_reason", finishReason);
        return chunk;
    }

    /** OpenAI reports a turn that ended by calling tools as "tool_calls", not "stop". */
    private static String finishReason(GenerationLoop.Outcome outcome, boolean toolsCalled) {
        return toolsCalled && outcome.finishReason().equals("stop") ? "tool_calls" : outcome.finishReason();
    }
}
