package dev.conclave.core.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Hugging Face {@code config.json} of model_type {@code glm4_moe} into a {@link ModelConfig}
 * (spec §1). Absent optional fields take the HF {@code Glm4MoeConfig} defaults; RoPE settings may be flat
 * (transformers v4) or nested in {@code rope_parameters} (v5). The consistency checks make a bad config
 * fail here, with the field named, rather than as a shape error deep inside the model.
 */
public final class ConfigLoader {

    public static final String MODEL_TYPE = "glm4_moe";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ConfigLoader() {
    }

    public static ModelConfig load(Path configJson) {
        String json;
        try {
            json = Files.readString(configJson);
        } catch (NoSuchFileException e) {
            throw new ConfigException(configJson + ": file not found");
        } catch (IOException e) {
            throw new ConfigException(configJson + ": cannot read as UTF-8 text: " + e, e);
        }
        return parse(json, configJson.toString());
    }

    /** Parses config JSON text; {@code sourceName} (usually the file path) prefixes every error message. */
    public static ModelConfig parse(String json, String sourceName) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new ConfigException(sourceName + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(sourceName + ": expected a JSON object, found " + (root == null ? "nothing" : root.getNodeType()));
        }
        Fields top = new Fields(root, sourceName, "");

        String modelType = top.string("model_type");
        if (!MODEL_TYPE.equals(modelType)) {
            throw top.error("model_type", (modelType == null ? "is absent" : "is '" + modelType + "'")
                    + "; Conclave supports only '" + MODEL_TYPE + "'");
        }
        String act = top.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw top.error("hidden_act", "is '" + act + "'; GLM-4.5 uses 'silu', the only activation Conclave implements");
        }
        if (top.get("rope_scaling") != null) {
            throw top.error("rope_scaling", "is " + top.get("rope_scaling") + "; RoPE scaling is not supported");
        }
        Fields rope = top.object("rope_parameters");
        String ropeType = rope == null ? null : rope.string("rope_type");
        if (ropeType != null && !ropeType.equals("default")) {
            throw rope.error("rope_type", "is '" + ropeType + "'; only 'default' RoPE is supported");
        }

        int hidden = top.requiredInt("hidden_size");
        int heads = top.requiredInt("num_attention_heads");
        if (heads <= 0) {
            throw top.error("num_attention_heads", "must be positive, is " + heads);
        }
        Integer headDim = top.integer("head_dim");
        if (headDim == null) {
            // HF's fallback; real GLM-4.5 configs always state head_dim (128 != H/Hq).
            if (hidden % heads != 0) {
                throw top.error("head_dim", "is absent and hidden_size " + hidden
                        + " is not divisible by num_attention_heads " + heads);
            }
            headDim = hidden / heads;
        }
        String torchDtype = top.string("torch_dtype");
        ModelConfig config = new ModelConfig(
                MODEL_TYPE,
                top.requiredInt("vocab_size"),
                hidden,
                top.requiredInt("num_hidden_layers"),
                heads,
                top.integer("num_key_value_heads", 8),
                headDim,
                top.requiredInt("intermediate_size"),
                top.requiredInt("moe_intermediate_size"),
                top.requiredInt("n_routed_experts"),
                top.integer("n_shared_experts", 1),
                top.requiredInt("num_experts_per_tok"),
                top.integer("n_group", 1),
                top.integer("topk_group", 1),
                top.integer("first_k_dense_replace", 1),
                top.bool("norm_topk_prob", true),
                top.number("routed_scaling_factor", 1.0),
                ropeSetting(top, rope, "rope_theta", 10000.0),
                ropeSetting(top, rope, "partial_rotary_factor", 0.5),
                top.bool("attention_bias", false),
                top.bool("use_qk_norm", false),
                top.number("rms_norm_eps", 1e-5),
                top.integer("max_position_embeddings", 131072),
                top.bool("tie_word_embeddings", false),
                top.integer("num_nextn_predict_layers", 0),
                top.integer("pad_token_id"),
                eosTokenIds(top),
                torchDtype != null ? torchDtype : top.string("dtype")); // transformers v5 renamed the key
        check(config, top);
        return config;
    }

    /** A RoPE setting from {@code rope_parameters} (v5) or the top level (v4); if both are given they must agree. */
    private static double ropeSetting(Fields top, Fields rope, String key, double defaultValue) {
        Double flat = top.number(key);
        Double nested = rope == null ? null : rope.number(key);
        if (flat != null && nested != null && !flat.equals(nested)) {
            throw top.error(key, "is " + flat + " but rope_parameters." + key + " is " + nested);
        }
        return nested != null ? nested : flat != null ? flat : defaultValue;
    }

    /** {@code eos_token_id} is a single id in some configs and a list in GLM-4.5's. */
    private static List<Integer> eosTokenIds(Fields top) {
        JsonNode node = top.get("eos_token_id");
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            return List.of(top.integer("eos_token_id"));
        }
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : node) {
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw top.error("eos_token_id", "must be an integer or a list of integers, is " + node);
            }
            ids.add(id.intValue());
        }
        return ids;
    }

    private static void check(ModelConfig c, Fields f) {
        positive(f, "vocab_size", c.vocabSize());
        positive(f, "hidden_size", c.hiddenSize());
        positive(f, "num_hidden_layers", c.numHiddenLayers());
        positive(f, "num_key_value_heads", c.numKeyValueHeads());
        positive(f, "head_dim", c.headDim());
        positive(f, "intermediate_size", c.intermediateSize());
        positive(f, "moe_intermediate_size", c.moeIntermediateSize());
        positive(f, "n_routed_experts", c.nRoutedExperts());
        positive(f, "n_shared_experts", c.nSharedExperts());
        positive(f, "num_experts_per_tok", c.numExpertsPerTok());
        positive(f, "n_group", c.nGroup());
        positive(f, "topk_group", c.topkGroup());
        positive(f, "max_position_embeddings", c.maxPositionEmbeddings());

        if (c.numAttentionHeads() % c.numKeyValueHeads() != 0) {
            throw f.error("num_key_value_heads", "is " + c.numKeyValueHeads() + " but num_attention_heads "
                    + c.numAttentionHeads() + " is not a multiple of it");
        }
        if (c.firstKDenseReplace() < 0 || c.firstKDenseReplace() > c.numHiddenLayers()) {
            throw f.error("first_k_dense_replace", "is " + c.firstKDenseReplace()
                    + "; must be between 0 and num_hidden_layers " + c.numHiddenLayers());
        }
        if (c.nRoutedExperts() % c.nGroup() != 0) {
            throw f.error("n_group", "is " + c.nGroup() + " but n_routed_experts " + c.nRoutedExperts()
                    + " is not divisible by it");
        }
        if (c.topkGroup() > c.nGroup()) {
            throw f.error("topk_group", "is " + c.topkGroup() + " but there are only n_group " + c.nGroup() + " groups");
        }
        int selectable = c.topkGroup() * (c.nRoutedExperts() / c.nGroup());
        if (c.numExpertsPerTok() > selectable) {
            throw f.error("num_experts_per_tok", "is " + c.numExpertsPerTok() + " but only " + selectable
                    + " experts can be chosen (n_routed_experts " + c.nRoutedExperts() + ", topk_group "
                    + c.topkGroup() + " of n_group " + c.nGroup() + ")");
        }
        if (!(c.partialRotaryFactor() > 0 && c.partialRotaryFactor() <= 1)) {
            throw f.error("partial_rotary_factor", "is " + c.partialRotaryFactor() + "; must be in (0, 1]");
        }
        if (c.rotaryDim() == 0 || c.rotaryDim() % 2 != 0) {
            throw f.error("partial_rotary_factor", "gives rotary dim int(head_dim " + c.headDim() + " * "
                    + c.partialRotaryFactor() + ") = " + c.rotaryDim() + "; RoPE rotates pairs, so it must be even and positive");
        }
        positiveFinite(f, "rope_theta", c.ropeTheta());
        positiveFinite(f, "rms_norm_eps", c.rmsNormEps());
        positiveFinite(f, "routed_scaling_factor", c.routedScalingFactor());
        if (c.tieWordEmbeddings()) {
            throw f.error("tie_word_embeddings", "is true; GLM-4.5 never ties embed_tokens and lm_head, and Conclave does not support it");
        }
        if (c.numNextnPredictLayers() < 0 || c.numNextnPredictLayers() > 1) {
            throw f.error("num_nextn_predict_layers", "is " + c.numNextnPredictLayers()
                    + "; GLM-4.5 stores one MTP layer and Conclave supports 0 or 1");
        }
    }

    private static void positive(Fields f, String key, int value) {
        if (value <= 0) {
            throw f.error(key, "must be positive, is " + value);
        }
    }

    private static void positiveFinite(Fields f, String key, double value) {
        if (!(value > 0 && Double.isFinite(value))) {
            throw f.error(key, "must be a positive finite number, is " + value);
        }
    }

    /** Typed access to the fields of one JSON object; a JSON {@code null} counts as absent, as HF writes it. */
    private record Fields(JsonNode node, String source, String prefix) {

        ConfigException error(String key, String problem) {
            return new ConfigException(source + ": field '" + prefix + key + "' " + problem);
        }

        JsonNode get(String key) {
            JsonNode value = node.get(key);
            return value == null || value.isNull() ? null : value;
        }

        Integer integer(String key) {
            JsonNode value = get(key);
            if (value == null) {
                return null;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt()) {
                throw error(key, "must be an integer, is " + value);
            }
            return value.intValue();
        }

        int integer(String key, int defaultValue) {
            Integer value = integer(key);
            return value != null ? value : defaultValue;
        }

        int requiredInt(String key) {
            Integer value = integer(key);
            if (value == null) {
                throw error(key, "is required but absent");
            }
            return value;
        }

        Double number(String key) {
            JsonNode value = get(key);
            if (value == null) {
                return null;
            }
            if (!value.isNumber()) {
                throw error(key, "must be a number, is " + value);
            }
            return value.doubleValue();
        }

        double number(String key, double defaultValue) {
            Double value = number(key);
            return value != null ? value : defaultValue;
        }

        boolean bool(String key, boolean defaultValue) {
            JsonNode value = get(key);
            if (value == null) {
                return defaultValue;
            }
            if (!value.isBoolean()) {
                throw error(key, "must be true or false, is " + value);
            }
            return value.booleanValue();
        }

        String string(String key) {
            JsonNode value = get(key);
            if (value == null) {
                return null;
            }
            if (!value.isTextual()) {
                throw error(key, "must be a string, is " + value);
            }
            return value.textValue();
        }

        String string(String key, String defaultValue) {
            String value = string(key);
            return value != null ? value : defaultValue;
        }

        /** The nested object under {@code key}, or null when absent. */
        Fields object(String key) {
            JsonNode value = get(key);
            if (value == null) {
                return null;
            }
            if (!value.isObject()) {
                throw error(key, "must be a JSON object, is " + value);
            }
            return new Fields(value, source, prefix + key + ".");
        }
    }
}
