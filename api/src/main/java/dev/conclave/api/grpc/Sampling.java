package dev.conclave.api.grpc;

import dev.conclave.api.grpc.v1.SamplingParams;
import dev.conclave.api.openai.ServerSettings;
import dev.conclave.model.serving.GenerationRequest;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Checks a request's sampling parameters and builds the engine request, with the same defaults and limits as
 * the HTTP API: temperature 1 in [0, 2], top_p 1 in (0, 1], top_k off, a random seed, and a token limit
 * lowered to what the context leaves.
 */
final class Sampling {

    private Sampling() {
    }

    static GenerationRequest request(int[] prompt, SamplingParams p, ServerSettings settings) {
        double temperature = p.hasTemperature() ? p.getTemperature() : 1.0;
        if (!(temperature >= 0 && temperature <= 2)) {
            throw Invalid.argument("temperature must be in [0, 2], got " + temperature);
        }
        double topP = p.hasTopP() ? p.getTopP() : 1.0;
        if (!(topP > 0 && topP <= 1)) {
            throw Invalid.argument("top_p must be in (0, 1], got " + topP);
        }
        if (p.getTopK() < 0) {
            throw Invalid.argument("top_k must be 0 (off) or positive, got " + p.getTopK());
        }
        if (p.hasMaxTokens() && p.getMaxTokens() < 1) {
            throw Invalid.argument("max_tokens must be at least 1, got " + p.getMaxTokens());
        }
        if (prompt.length == 0) {
            throw Invalid.argument("the prompt is empty");
        }
        int room = settings.contextLength() - prompt.length;
        if (room < 1) {
            throw Invalid.argument("the prompt is " + prompt.length + " tokens; the context holds "
                    + settings.contextLength() + " tokens including at least one generated token");
        }
        int limit = p.hasMaxTokens() ? Math.min(room, p.getMaxTokens()) : room;
        long seed = p.hasSeed() ? p.getSeed() : ThreadLocalRandom.current().nextLong();
        return new GenerationRequest(prompt, limit, temperature, topP, p.getTopK(), seed, settings.eosIds());
    }

    /** Empty stop strings would stop at once; they are dropped, as the HTTP API does. */
    static List<String> stops(SamplingParams p) {
        return p.getStopList().stream().filter(s -> !s.isEmpty()).toList();
    }
}
