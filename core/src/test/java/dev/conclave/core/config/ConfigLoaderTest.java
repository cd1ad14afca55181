package dev.conclave.core.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = "test/config.json";

    @Test
    void parsesFixtureA() {
        ModelConfig c = ConfigLoader.load(Fixtures.fixture(Fixtures.TINY_A).resolve("config.json"));
        assertEquals("glm4_moe", c.modelType());
        assertEquals(512, c.vocabSize());
        assertEquals(64, c.hiddenSize());
        assertEquals(4, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(32, c.headDim());
        assertEquals(192, c.intermediateSize());
        assertEquals(48, c.moeIntermediateSize());
        assertEquals(8, c.nRoutedExperts());
        assertEquals(1, c.nSharedExperts());
        assertEquals(2, c.numExpertsPerTok());
        assertEquals(1, c.firstKDenseReplace());
        assertTrue(c.normTopkProb());
        assertEquals(2.5, c.routedScalingFactor());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(16, c.rotaryDim());
        assertTrue(c.attentionBias());
        assertTrue(c.useQkNorm());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(4096, c.maxPositionEmbeddings());
        assertEquals(1, c.numNextnPredictLayers());
        assertEquals(0, c.padTokenId());
        assertEquals(List.of(1), c.eosTokenIds());
        assertEquals("float32", c.torchDtype());
    }

    @Test
    void parsesFixtureB() {
        ModelConfig c = ConfigLoader.load(Fixtures.fixture(Fixtures.TINY_B).resolve("config.json"));
        assertEquals(96, c.hiddenSize());
        assertEquals(6, c.numAttentionHeads());
        assertEquals(3, c.numKeyValueHeads());
        assertEquals(24, c.headDim()); // stated, not hidden/heads = 16
        assertEquals(144, c.qWidth());
        assertEquals(72, c.kvWidth());
        assertEquals(12, c.rotaryDim());
        assertEquals(16, c.nRoutedExperts());
        assertEquals(2, c.nGroup());
        assertEquals(1, c.topkGroup());
        assertEquals(4, c.numExpertsPerTok());
        assertEquals(80, c.sharedExpertWidth());
        assertEquals(2, c.firstKDenseReplace());
        assertFalse(c.normTopkProb());
        assertFalse(c.useQkNorm());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(1.5, c.routedScalingFactor());
    }

    @Test
    void nestedRopeParametersGiveTheSameConfigAsFlatOnes() throws IOException {
        ObjectNode flat = fixtureConfig(Fixtures.TINY_B);
        ObjectNode nested = flat.deepCopy();
        nested.remove("rope_theta");
        nested.remove("partial_rotary_factor");
        nested.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 500000.0).put("partial_rotary_factor", 0.5);
        assertEquals(parse(flat), parse(nested));

        ObjectNode both = flat.deepCopy();
        both.putObject("rope_parameters").put("rope_theta", 500000.0);
        assertEquals(parse(flat), parse(both));
    }

    @Test
    void rejectsNestedRopeThatContradictsFlat() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.putObject("rope_parameters").put("rope_theta", 20000.0);
        assertRejected(node, "'rope_theta'", "rope_parameters.rope_theta is 20000.0");
    }

    @Test
    void appliesHuggingFaceDefaults() {
        ObjectNode node = JSON.createObjectNode()
                .put("model_type", "glm4_moe")
                .put("vocab_size", 1000)
                .put("hidden_size", 256)
                .put("num_hidden_layers", 2)
                .put("num_attention_heads", 8)
                .put("intermediate_size", 512)
                .put("moe_intermediate_size", 64)
                .put("n_routed_experts", 8)
                .put("num_experts_per_tok", 2);
        ModelConfig c = parse(node);
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(32, c.headDim()); // hidden / heads
        assertEquals(1, c.nSharedExperts());
        assertEquals(1, c.nGroup());
        assertEquals(1, c.topkGroup());
        assertEquals(1, c.firstKDenseReplace());
        assertTrue(c.normTopkProb());
        assertEquals(1.0, c.routedScalingFactor());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(0.5, c.partialRotaryFactor());
        assertFalse(c.attentionBias());
        assertFalse(c.useQkNorm());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(131072, c.maxPositionEmbeddings());
        assertFalse(c.tieWordEmbeddings());
        assertEquals(0, c.numNextnPredictLayers());
        assertNull(c.padTokenId());
        assertEquals(List.of(), c.eosTokenIds());
        assertNull(c.torchDtype());
    }

    @Test
    void acceptsSingleEosTokenIdAndV5DtypeKey() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.put("eos_token_id", 7);
        node.remove("torch_dtype");
        node.put("dtype", "bfloat16");
        ModelConfig c = parse(node);
        assertEquals(List.of(7), c.eosTokenIds());
        assertEquals("bfloat16", c.torchDtype());
    }

    @Test
    void rejectsOtherModelTypes() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.put("model_type", "deepseek_v3");
        assertRejected(node, "'model_type'", "'deepseek_v3'", "glm4_moe");
        node.remove("model_type");
        assertRejected(node, "'model_type' is absent");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
            "moe_intermediate_size", "n_routed_experts", "num_experts_per_tok"})
    void rejectsMissingRequiredField(String field) throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.remove(field);
        assertRejected(node, "'" + field + "' is required");
    }

    @Test
    void rejectsRopeScaling() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
        assertRejected(node, "'rope_scaling'", "yarn", "not supported");
    }

    @Test
    void rejectsNonDefaultRopeType() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.putObject("rope_parameters").put("rope_type", "llama3");
        assertRejected(node, "'rope_parameters.rope_type'", "'llama3'", "only 'default'");
    }

    @Test
    void rejectsHeadsNotDivisibleByKvHeads() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.put("num_key_value_heads", 3);
        assertRejected(node, "'num_key_value_heads' is 3", "num_attention_heads 4 is not a multiple");
    }

    @Test
    void rejectsMissingHeadDimWhenHiddenIsNotDivisible() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.remove("head_dim");
        node.put("num_attention_heads", 6);
        assertRejected(node, "'head_dim' is absent", "hidden_size 64", "num_attention_heads 6");
    }

    @Test
    void rejectsMoreExpertsPerTokenThanTheKeptGroupsHold() throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A); // 8 experts
        node.put("n_group", 4).put("topk_group", 1).put("num_experts_per_tok", 3);
        assertRejected(node, "'num_experts_per_tok' is 3", "only 2 experts can be chosen");
    }

    /** Each row sets one field of fixture A's config to a JSON value and names a fragment of the error. */
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            n_group                  | 3       | 'n_group' is 3 but n_routed_experts 8 is not divisible
            topk_group               | 2       | 'topk_group' is 2 but there are only n_group 1
            num_experts_per_tok      | 9       | 'num_experts_per_tok' is 9
            first_k_dense_replace    | 5       | 'first_k_dense_replace' is 5
            first_k_dense_replace    | -1      | 'first_k_dense_replace' is -1
            hidden_size              | 0       | 'hidden_size' must be positive
            vocab_size               | -1      | 'vocab_size' must be positive
            n_shared_experts         | 0       | 'n_shared_experts' must be positive
            partial_rotary_factor    | 0.53125 | must be even
            partial_rotary_factor    | 1.5     | must be in (0, 1]
            rope_theta               | 0       | 'rope_theta' must be a positive finite number
            rms_norm_eps             | -1e-5   | 'rms_norm_eps' must be a positive finite number
            tie_word_embeddings      | true    | 'tie_word_embeddings' is true
            num_nextn_predict_layers | 2       | 'num_nextn_predict_layers' is 2
            hidden_act               | "gelu"  | 'hidden_act' is 'gelu'
            hidden_size              | "64"    | 'hidden_size' must be an integer
            hidden_size              | 64.5    | 'hidden_size' must be an integer
            hidden_size              | 3000000000 | 'hidden_size' must be an integer
            use_qk_norm              | "yes"   | 'use_qk_norm' must be true or false
            rope_theta               | "big"   | 'rope_theta' must be a number
            eos_token_id             | [1, "x"] | 'eos_token_id' must be an integer or a list
            rope_parameters          | 5       | 'rope_parameters' must be a JSON object
            """)
    void rejectsInconsistentOrMistypedField(String field, String jsonValue, String expected) throws IOException {
        ObjectNode node = fixtureConfig(Fixtures.TINY_A);
        node.set(field, JSON.readTree(jsonValue));
        assertRejected(node, expected);
    }

    @Test
    void rejectsTextThatIsNotAJsonObject() {
        ConfigException notJson = assertThrows(ConfigException.class, () -> ConfigLoader.parse("{\"a\": ", SOURCE));
        assertTrue(notJson.getMessage().startsWith(SOURCE + ": not valid JSON"), notJson.getMessage());
        ConfigException array = assertThrows(ConfigException.class, () -> ConfigLoader.parse("[1]", SOURCE));
        assertTrue(array.getMessage().contains("expected a JSON object"), array.getMessage());
    }

    @Test
    void loadNamesAMissingFile() {
        Path missing = Path.of("no/such/dir/config.json");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertEquals(missing + ": file not found", e.getMessage());
    }

    private static ObjectNode fixtureConfig(String fixture) throws IOException {
        return (ObjectNode) JSON.readTree(Files.readString(Fixtures.fixture(fixture).resolve("config.json")));
    }

    private static ModelConfig parse(ObjectNode node) {
        return ConfigLoader.parse(node.toString(), SOURCE);
    }

    private static void assertRejected(ObjectNode node, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(node));
        assertTrue(e.getMessage().startsWith(SOURCE + ": field '"), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        }
    }
}
