package dev.conclave.training.rl;

import java.util.List;

/** A reward made of parts: Σ weight_i · score_i, e.g. 0.8·(right call) + 0.2·(well-formed call). */
public final class WeightedVerifier implements Verifier {

    public record Part(double weight, Verifier verifier) {
        public Part {
            if (!(weight >= 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("verifier weight must be finite and >= 0, got " + weight);
            }
        }
    }

    private final List<Part> parts;

    public WeightedVerifier(List<Part> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a weighted verifier needs at least one part");
        }
        this.parts = List.copyOf(parts);
    }

    @Override
    public double score(String completion, String answer) {
        double reward = 0;
        for (Part part : parts) {
            reward += part.weight() * part.verifier().score(completion, answer);
        }
        return reward;
    }
}
