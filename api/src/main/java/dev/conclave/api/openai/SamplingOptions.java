package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conclave.model.serving.GenerationRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The request fields shared by chat and text completions. Defaults follow OpenAI: temperature 1, top_p 1,
 * no top-k, a random seed, no token limit other than the context.
 */
record SamplingOptions(OptionalInt maxTokens, double temperature, double topP, int topK, long seed,
                       List<String> stop, boolean stream, boolean includeUsage) {

    static SamplingOptions parse(JsonNode root) {
        OptionalInt maxTokens = OptionalInt.empty();
        for (String field : List.of("max_completion_tokens", "max_tokens")) {
            JsonNode n = root.get(field);
            if (n != null && !n.isNull() && maxTokens.isEmpty()) {
                if (!n.canConvertToInt() || !n.isIntegralNumber()) {
                    throw ApiException.invalid(field + " must be an integer", field);
                }
                if (n.asInt() < 1) {
                    throw ApiException.invalid(field + " must be at least 1, got " + n.asInt(), field);
                }
                maxTokens = OptionalInt.of(n.asInt());
            }
        }
        double temperature = number(root, "temperature", 1.0, 0.0, 2.0, "[0, 2]");
        double topP = number(root, "top_p", 1.0, Double.MIN_VALUE, 1.0, "(0, 1]");
        int topK = integer(root, "top_k", 0);
        if (topK < 0) {
            // vLLM spells "off" as -1; the engine spells it 0.
            topK = topK == -1 ? 0 : fail("top_k must be -1, 0 or positive, got " + topK, "top_k");
        }
        JsonNode seedNode = root.get("seed");
        long seed;
        if (seedNode == null || seedNode.isNull()) {
            seed = ThreadLocalRandom.current().nextLong();
        } else if (seedNode.isIntegralNumber() && seedNode.canConvertToLong()) {
            seed = seedNode.asLong();
        } else {
            throw ApiException.invalid("seed must be an integer", "seed");
        }
        boolean stream = bool(root, "stream", false);
        JsonNode options = root.path("stream_options");
        if (!options.isMissingNode() && !options.isNull() && !options.isObject()) {
            throw ApiException.invalid("stream_options must be an object", "stream_options");
        }
        boolean includeUsage = options.isObject() && bool(options, "include_usage", false);
        return new SamplingOptions(maxTokens, temperature, topP, topK, seed, stop(root.get("stop")), stream, includeUsage);
    }

    /**
     * The engine request for a prompt. A prompt that leaves no room to generate is refused; a token limit
     * beyond the context is lowered to what fits, as the engine would stop there anyway.
     */
    GenerationRequest toRequest(int[] prompt, ServerSettings settings) {
        int room = settings.contextLength() - prompt.length;
        if (prompt.length == 0) {
            throw ApiException.invalid("the prompt is empty", null);
        }
        if (room < 1) {
            throw ApiException.invalid("the prompt is " + prompt.length + " tokens; the context holds "
                    + settings.contextLength() + " tokens including at least one generated token", null);
        }
        // More than the whole context can never be honoured: a client asking for it has a bug worth reporting.
        if (maxTokens.isPresent() && maxTokens.getAsInt() > settings.contextLength()) {
            throw ApiException.invalid("max_tokens is " + maxTokens.getAsInt() + "; the context holds only "
                    + settings.contextLength() + " tokens", "max_tokens");
        }
        int limit = Math.min(room, maxTokens.orElse(room));
        return new GenerationRequest(prompt, limit, temperature, topP, topK, seed, settings.eosIds());
    }

    private static List<String> stop(JsonNode n) {
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (n.isTextual()) {
            return n.asText().isEmpty() ? List.of() : List.of(n.asText());
        }
        if (!n.isArray()) {
            throw ApiException.invalid("stop must be a string or a list of strings", "stop");
        }
        List<String> stops = new ArrayList<>();
        for (JsonNode s : n) {
            if (!s.isTextual()) {
                throw ApiException.invalid("stop must be a string or a list of strings", "stop");
            }
            if (!s.asText().isEmpty()) {
                stops.add(s.asText());
            }
        }
        return List.copyOf(stops);
    }

    private static double number(JsonNode root, String field, double fallback, double min, double max,
                                 String range) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw ApiException.invalid(field + " must be a number", field);
        }
        double v = n.asDouble();
        if (!(v >= min && v <= max)) {
            throw ApiException.invalid(field + " must be in " + range + ", got " + n.asText(), field);
        }
        return v;
    }

    static int integer(JsonNode root, String field, int fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw ApiException.invalid(field + " must be an integer", field);
        }
        return n.asInt();
    }

    static boolean bool(JsonNode root, String field, boolean fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw ApiException.invalid(field + " must be true or false", field);
        }
        return n.asBoolean();
    }

    private static int fail(String message, String param) {
        throw ApiException.invalid(message, param);
    }
}
