package dev.conclave.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigWriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Distinct values everywhere, so a field written under the wrong key shows. */
    private static final ModelConfig CONFIG = new ModelConfig("glm4_moe", 512, 64, 4, 4, 2, 32, 192, 48, 8, 2, 3,
            2, 1, 1, false, 2.5, 12345.0, 0.25, true, false, 1e-6, 4096, false, 1, 7, List.of(1, 9), "float32");

    @Test
    void writesEveryFieldUnderItsHfKey() throws Exception {
        JsonNode n = JSON.readTree(ConfigWriter.toJson(CONFIG, DType.BF16));
        assertEquals("Glm4MoeForCausalLM", n.get("architectures").get(0).asText());
        assertEquals(1, n.get("architectures").size());
        assertEquals("glm4_moe", n.get("model_type").asText());
        assertEquals(512, n.get("vocab_size").asInt());
        assertEquals(64, n.get("hidden_size").asInt());
        assertEquals(4, n.get("num_hidden_layers").asInt());
        assertEquals(4, n.get("num_attention_heads").asInt());
        assertEquals(2, n.get("num_key_value_heads").asInt());
        assertEquals(32, n.get("head_dim").asInt());
        assertEquals(192, n.get("intermediate_size").asInt());
        assertEquals(48, n.get("moe_intermediate_size").asInt());
        assertEquals(8, n.get("n_routed_experts").asInt());
        assertEquals(2, n.get("n_shared_experts").asInt());
        assertEquals(3, n.get("num_experts_per_tok").asInt());
        assertEquals(2, n.get("n_group").asInt());
        assertEquals(1, n.get("topk_group").asInt());
        assertEquals(1, n.get("first_k_dense_replace").asInt());
        assertFalse(n.get("norm_topk_prob").asBoolean());
        assertEquals(2.5, n.get("routed_scaling_factor").asDouble());
        assertEquals(12345.0, n.get("rope_theta").asDouble());
        assertEquals(0.25, n.get("partial_rotary_factor").asDouble());
        assertTrue(n.get("rope_scaling").isNull());
        assertFalse(n.has("rope_parameters"));
        assertTrue(n.get("attention_bias").asBoolean());
        assertFalse(n.get("use_qk_norm").asBoolean());
        assertEquals(1e-6, n.get("rms_norm_eps").asDouble());
        assertEquals("silu", n.get("hidden_act").asText());
        assertEquals(4096, n.get("max_position_embeddings").asInt());
        assertFalse(n.get("tie_word_embeddings").asBoolean());
        assertEquals(1, n.get("num_nextn_predict_layers").asInt());
        assertEquals(7, n.get("pad_token_id").asInt());
        assertEquals(List.of(1, 9), List.of(n.get("eos_token_id").get(0).asInt(), n.get("eos_token_id").get(1).asInt()));
        assertEquals("bfloat16", n.get("torch_dtype").asText());
    }

    @Test
    void torchDtypeFollowsTheWeightsDtypeAndNullPadIsOmitted() throws Exception {
        ModelConfig noPad = new ModelConfig("glm4_moe", 512, 64, 4, 4, 2, 32, 192, 48, 8, 2, 3,
                2, 1, 1, false, 2.5, 12345.0, 0.25, true, false, 1e-6, 4096, false, 1, null, List.of(1), "bfloat16");
        assertEquals("float32", JSON.readTree(ConfigWriter.toJson(noPad, DType.F32)).get("torch_dtype").asText());
        assertEquals("float16", JSON.readTree(ConfigWriter.toJson(noPad, DType.F16)).get("torch_dtype").asText());
        assertFalse(JSON.readTree(ConfigWriter.toJson(noPad, DType.F32)).has("pad_token_id"));
    }
}
