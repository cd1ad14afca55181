package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.api.generation.Generation;
import dev.conclave.api.generation.GenerationLoop;
import dev.conclave.api.generation.TokenOutput;
import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.text.parse.StreamEvent;
import dev.conclave.text.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.List;

/** {@code POST /v1/completions}: a raw prompt (text or token ids) continued as plain text, no template. */
final class Completions {
    private final TokenEngine engine;
    private final Tokenizer tokenizer;
    private final ServerSettings settings;

    Completions(TokenEngine engine, Tokenizer tokenizer, ServerSettings settings) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.settings = settings;
    }

    void handle(JsonNode body, Exchange exchange) throws IOException {
        SamplingOptions sampling = SamplingOptions.parse(body);
        GenerationRequest generation = sampling.toRequest(prompt(body.get("prompt")), settings);
        Ids ids = Ids.completion(settings.modelName());
        TokenOutput output = new TokenOutput(tokenizer, null, settings.eosIds(), sampling.stop());
        Generation running = Generation.submit(engine, generation);
        StringBuilder text = new StringBuilder();
        GenerationLoop.Outcome outcome = GenerationLoop.run(running, output, new GenerationLoop.Sink() {
            @Override
            public void start() throws IOException {
                if (sampling.stream()) {
                    exchange.startEvents();
                }
            }

            @Override
            public void accept(List<StreamEvent> events) throws IOException {
                for (StreamEvent event : events) {
                    String piece = ((StreamEvent.Content) event).text();
                    if (sampling.stream()) {
                        exchange.event(response(ids, "text_completion", piece, null));
                    } else {
                        text.append(piece);
                    }
                }
            }
        });
        ObjectNode last = response(ids, "text_completion", sampling.stream() ? "" : text.toString(),
                outcome.finishReason());
        if (!sampling.stream() || sampling.includeUsage()) {
            last.set("usage", Ids.usage(outcome.usage()));
        }
        if (sampling.stream()) {
            exchange.event(last);
            exchange.endEvents();
        } else {
            exchange.json(200, last);
        }
    }

    /** A prompt is a string (encoded as is, the caller writes any special tokens) or a list of token ids. */
    private int[] prompt(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            throw ApiException.invalid("prompt is required", "prompt");
        }
        if (prompt.isTextual()) {
            return tokenizer.encode(prompt.asText(), false);
        }
        if (prompt.isArray()) {
            int[] ids = new int[prompt.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = prompt.get(i);
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= engine.vocab()) {
                    throw ApiException.invalid("prompt must be a string or a list of token ids in [0, "
                            + engine.vocab() + ")", "prompt");
                }
                ids[i] = id.asInt();
            }
            return ids;
        }
        throw ApiException.invalid("prompt must be a string or a list of token ids", "prompt");
    }

    private static ObjectNode response(Ids ids, String object, String text, String finishReason) {
        ObjectNode node = ids.envelope(object);
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("index", 0).put("text", text);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return node;
    }
}
