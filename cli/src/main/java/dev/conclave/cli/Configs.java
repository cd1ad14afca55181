package dev.conclave.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.config.ModelConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where every command reads a {@code config.json}: the single seam to core's {@code ConfigLoader}. Until
 * that class is on this branch, {@link #load} uses the interim reader below; switching is replacing its
 * body with {@code ConfigLoader.load(configJson)} and deleting the rest of this class.
 */
final class Configs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Configs() {
    }

    static ModelConfig load(Path configJson) {
        return parse(configJson);
    }

    /** Interim reader: the HF keys of spec §1, RoPE settings flat or under rope_parameters, no validation. */
    private static ModelConfig parse(Path configJson) {
        JsonNode n;
        try {
            n = JSON.readTree(configJson.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configJson, e);
        }
        JsonNode rope = n.has("rope_theta") ? n : n.path("rope_parameters");
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = n.path("eos_token_id");
        if (eosNode.isArray()) {
            eosNode.forEach(id -> eos.add(id.asInt()));
        } else if (eosNode.isInt()) {
            eos.add(eosNode.asInt());
        }
        return new ModelConfig(
                required(n, "model_type").asText(),
                required(n, "vocab_size").asInt(),
                required(n, "hidden_size").asInt(),
                required(n, "num_hidden_layers").asInt(),
                required(n, "num_attention_heads").asInt(),
                required(n, "num_key_value_heads").asInt(),
                required(n, "head_dim").asInt(),
                required(n, "intermediate_size").asInt(),
                required(n, "moe_intermediate_size").asInt(),
                required(n, "n_routed_experts").asInt(),
                required(n, "n_shared_experts").asInt(),
                required(n, "num_experts_per_tok").asInt(),
                required(n, "n_group").asInt(),
                required(n, "topk_group").asInt(),
                required(n, "first_k_dense_replace").asInt(),
                required(n, "norm_topk_prob").asBoolean(),
                required(n, "routed_scaling_factor").asDouble(),
                required(rope, "rope_theta").asDouble(),
                required(rope, "partial_rotary_factor").asDouble(),
                required(n, "attention_bias").asBoolean(),
                required(n, "use_qk_norm").asBoolean(),
                required(n, "rms_norm_eps").asDouble(),
                required(n, "max_position_embeddings").asInt(),
                n.path("tie_word_embeddings").asBoolean(false),
                required(n, "num_nextn_predict_layers").asInt(),
                n.path("pad_token_id").isInt() ? n.get("pad_token_id").asInt() : null,
                eos,
                n.path("torch_dtype").asText("bfloat16"));
    }

    private static JsonNode required(JsonNode node, String key) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("config.json has no \"" + key + "\"");
        }
        return value;
    }
}
