package dev.conclave.core.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.config.ConfigLoader;
import dev.conclave.core.config.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tiny {@link ModelConfig}s for stage unit tests, built through {@link ConfigLoader} so they pass the same
 * checks as a real config.json. The base is one 4-wide layer with a single head and 4 experts top-2, no
 * QK-norm, no scaling, and an RMSNorm epsilon so small that unit-RMS inputs normalise to themselves
 * exactly, which keeps hand-computed expectations exact.
 */
public final class TestConfigs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestConfigs() {
    }

    /** The base config with {@code overrides} given as alternating Hugging Face keys and values. */
    public static ModelConfig tiny(Object... overrides) {
        if (overrides.length % 2 != 0) {
            throw new IllegalArgumentException("overrides come in key/value pairs");
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "glm4_moe");
        c.put("vocab_size", 16);
        c.put("hidden_size", 4);
        c.put("num_hidden_layers", 1);
        c.put("num_attention_heads", 1);
        c.put("num_key_value_heads", 1);
        c.put("head_dim", 4);
        c.put("intermediate_size", 8);
        c.put("moe_intermediate_size", 4);
        c.put("n_routed_experts", 4);
        c.put("n_shared_experts", 1);
        c.put("num_experts_per_tok", 2);
        c.put("n_group", 1);
        c.put("topk_group", 1);
        c.put("first_k_dense_replace", 0);
        c.put("norm_topk_prob", false);
        c.put("routed_scaling_factor", 1.0);
        c.put("rope_theta", 10000.0);
        c.put("partial_rotary_factor", 0.5);
        c.put("use_qk_norm", false);
        c.put("rms_norm_eps", 1e-12);
        c.put("max_position_embeddings", 64);
        for (int i = 0; i < overrides.length; i += 2) {
            c.put((String) overrides[i], overrides[i + 1]);
        }
        try {
            return ConfigLoader.parse(JSON.writeValueAsString(c), "TestConfigs.tiny");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
