package dev.conclave.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.tensor.DType;

/**
 * Writes a {@link ModelConfig} as a Hugging Face {@code config.json} for {@code Glm4MoeForCausalLM}: every
 * field of spec §1 under its HF key, RoPE settings flat (the transformers 4.x form every loader accepts),
 * and the constants HF writes for this architecture.
 */
public final class ConfigWriter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ConfigWriter() {
    }

    /** The {@code config.json} text for {@code config} whose weights are stored as {@code dtype}. */
    public static String toJson(ModelConfig config, DType dtype) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("Glm4MoeForCausalLM");
        n.put("model_type", "glm4_moe");
        n.put("vocab_size", config.vocabSize());
        n.put("hidden_size", config.hiddenSize());
        n.put("num_hidden_layers", config.numHiddenLayers());
        n.put("num_attention_heads", config.numAttentionHeads());
        n.put("num_key_value_heads", config.numKeyValueHeads());
        n.put("head_dim", config.headDim());
        n.put("intermediate_size", config.intermediateSize());
        n.put("moe_intermediate_size", config.moeIntermediateSize());
        n.put("n_routed_experts", config.nRoutedExperts());
        n.put("n_shared_experts", config.nSharedExperts());
        n.put("num_experts_per_tok", config.numExpertsPerTok());
        n.put("n_group", config.nGroup());
        n.put("topk_group", config.topkGroup());
        n.put("first_k_dense_replace", config.firstKDenseReplace());
        n.put("norm_topk_prob", config.normTopkProb());
        n.put("routed_scaling_factor", config.routedScalingFactor());
        n.put("rope_theta", config.ropeTheta());
        n.put("partial_rotary_factor", config.partialRotaryFactor());
        n.putNull("rope_scaling");
        n.put("attention_bias", config.attentionBias());
        n.put("use_qk_norm", config.useQkNorm());
        n.put("rms_norm_eps", config.rmsNormEps());
        n.put("hidden_act", "silu");
        n.put("max_position_embeddings", config.maxPositionEmbeddings());
        n.put("tie_word_embeddings", config.tieWordEmbeddings());
        n.put("num_nextn_predict_layers", config.numNextnPredictLayers());
        n.put("attention_dropout", 0.0);
        n.put("initializer_range", 0.02);
        n.put("use_cache", true);
        if (config.padTokenId() != null) {
            n.put("pad_token_id", config.padTokenId());
        }
        ArrayNode eos = n.putArray("eos_token_id");
        config.eosTokenIds().forEach(eos::add);
        n.put("torch_dtype", torchDtype(dtype));
        try {
            return JSON.writeValueAsString(n) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    /** The PyTorch name of {@code dtype}, as {@code torch_dtype} spells it. */
    public static String torchDtype(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
        };
    }
}
