package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.model.MtpStats;
import dev.conclave.model.serving.TokenListener.Usage;

import java.time.Instant;
import java.util.UUID;

/** The identity every object of one response carries: its id, creation time and model name. */
record Ids(String id, long created, String model) {

    static Ids chat(String model) {
        return create("chatcmpl-", model);
    }

    static Ids completion(String model) {
        return create("cmpl-", model);
    }

    private static Ids create(String prefix, String model) {
        return new Ids(prefix + UUID.randomUUID().toString().replace("-", ""), Instant.now().getEpochSecond(), model);
    }

    /** Tool-call ids are scoped to the response, so they stay unique across a conversation. */
    String callPrefix() {
        return "call_" + id.substring(id.indexOf('-') + 1, id.indexOf('-') + 13) + "_";
    }

    ObjectNode envelope(String object) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("id", id).put("object", object).put("created", created).put("model", model);
        return node;
    }

    static ObjectNode usage(Usage usage) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("prompt_tokens", usage.promptTokens());
        node.put("completion_tokens", usage.completionTokens());
        node.put("total_tokens", usage.promptTokens() + usage.completionTokens());
        if (usage.decodeNanos() > 0 || usage.mtp() != null) {
            // Conclave's extension: decode speed and, when drafting, the MTP speculation counters.
            ObjectNode ext = node.putObject("conclave");
            if (usage.decodeNanos() > 0) {
                ext.put("decode_tokens_per_second", usage.decodeTokensPerSecond());
            }
            if (usage.mtp() != null) {
                ext.set("mtp", mtp(usage.mtp()));
            }
        }
        return node;
    }

    static ObjectNode mtp(MtpStats s) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("verify_steps", s.steps());
        m.put("draft_tokens", s.proposedTotal());
        m.put("accepted_draft_tokens", s.acceptedTotal());
        if (s.steps() > 0) {
            m.put("mean_tokens_per_step", s.meanTokensPerStep());
        } else {
            m.putNull("mean_tokens_per_step");
        }
        var rates = m.putArray("acceptance_rate_by_position");
        for (int d = 0; d < s.drafts(); d++) {
            if (s.proposed(d) == 0) {
                rates.addNull();
            } else {
                rates.add(s.acceptanceRate(d));
            }
        }
        return m;
    }
}
