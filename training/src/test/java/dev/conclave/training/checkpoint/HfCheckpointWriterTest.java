package dev.conclave.training.checkpoint;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.checkpoint.CheckpointLayout;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.training.Param;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfCheckpointWriterTest {

    private static final ObjectMapper STRICT = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    @TempDir
    Path tmp;

    private static Param param(List<Param> params, String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void f32SaveReadsBackBitIdenticalThroughTheProjectLoader() throws IOException {
        Path out = tmp.resolve("saved");
        try (Checkpoint fixture = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            List<Param> params = CheckpointParams.of(fixture);
            HfCheckpointWriter.write(out, fixture.config(), params,
                    new HfCheckpointWriter.Options(DType.F32, 200_000, true, null));
            try (Checkpoint saved = Checkpoint.open(out)) {
                assertEquals(fixture.names(), saved.names());
                assertTrue(saved.hasMtp());
                assertEquals("float32", saved.config().torchDtype());
                assertEquals(fixture.config(), saved.config());
                for (String name : fixture.names()) {
                    Tensor a = fixture.tensor(name);
                    Tensor b = saved.tensor(name);
                    assertEquals(DType.F32, b.dtype(), name);
                    for (long i = 0; i < a.numel(); i++) {
                        if (Float.floatToRawIntBits(a.get(i)) != Float.floatToRawIntBits(b.get(i))) {
                            throw new AssertionError(name + "[" + i + "]: " + a.get(i) + " saved as " + b.get(i));
                        }
                    }
                }
            }
        }
    }

    @Test
    void indexListsEveryTensorOnceWithTheTotalSize() throws IOException {
        Path out = tmp.resolve("saved");
        ModelConfig config;
        try (Checkpoint fixture = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            config = fixture.config();
            HfCheckpointWriter.write(out, config, CheckpointParams.of(fixture),
                    new HfCheckpointWriter.Options(DType.BF16, 300_000, true, null));
        }
        JsonNode index = STRICT.readTree(out.resolve(Checkpoint.INDEX_FILE).toFile());
        List<String> expected = CheckpointLayout.of(config).entries().stream().map(CheckpointLayout.Entry::name).toList();
        List<String> listed = new ArrayList<>();
        Set<String> shardFiles = new HashSet<>();
        index.get("weight_map").properties().forEach(e -> {
            listed.add(e.getKey());
            shardFiles.add(e.getValue().asText());
        });
        assertEquals(expected.size(), new HashSet<>(listed).size());
        assertEquals(new HashSet<>(expected), new HashSet<>(listed));
        assertTrue(shardFiles.size() > 1, "expected several shards, got " + shardFiles);
        long dataBytes = 0;
        for (String shard : shardFiles) {
            assertTrue(shard.matches("model-0000[1-9]-of-0000" + shardFiles.size() + "\\.safetensors"), shard);
            try (FileChannel ch = FileChannel.open(out.resolve(shard))) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(len, 0);
                dataBytes += ch.size() - 8 - len.flip().getLong();
            }
        }
        assertEquals(dataBytes, index.get("metadata").get("total_size").asLong());
        JsonNode config2 = STRICT.readTree(out.resolve("config.json").toFile());
        assertEquals("bfloat16", config2.get("torch_dtype").asText());
        assertEquals(config.numNextnPredictLayers(), config2.get("num_nextn_predict_layers").asInt());
        JsonNode generation = STRICT.readTree(out.resolve("generation_config.json").toFile());
        assertEquals(config.eosTokenIds().getFirst().intValue(), generation.get("eos_token_id").get(0).asInt());
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsTheCorrectionBiasF32() throws IOException {
        Path out = tmp.resolve("saved");
        double ulp = Math.scalb(1.0, -7);
        double[] picked = {1 + ulp / 2, 1 + 3 * ulp / 2, 1 + ulp / 2 + Math.scalb(1.0, -40), -0.1, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e300};
        float[] expected = {1f, (float) (1 + 2 * ulp), (float) (1 + ulp), -0.10009765625f, Float.NaN,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        String bias = "model.layers.1.mlp.gate.e_score_correction_bias";
        double biasValue = 0.1234567890123;
        try (Checkpoint fixture = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            List<Param> params = CheckpointParams.of(fixture);
            System.arraycopy(picked, 0, param(params, "model.norm.weight").value(), 0, picked.length);
            param(params, bias).value()[0] = biasValue;
            HfCheckpointWriter.write(out, fixture.config(), params, HfCheckpointWriter.Options.glm45(null));
        }
        try (Checkpoint saved = Checkpoint.open(out)) {
            Tensor norm = saved.tensor("model.norm.weight");
            assertEquals(DType.BF16, norm.dtype());
            for (int i = 0; i < picked.length; i++) {
                assertEquals(Float.isNaN(expected[i]) ? "NaN" : Float.toString(expected[i]),
                        Float.isNaN(norm.get(i)) ? "NaN" : Float.toString(norm.get(i)), "value " + picked[i]);
            }
            Tensor b = saved.tensor(bias);
            assertEquals(DType.F32, b.dtype());
            assertEquals((float) biasValue, b.get(0));
            assertEquals(DType.BF16, saved.tensor("lm_head.weight").dtype());
        }
    }

    @Test
    void mtpCopiesComeFromTheSharedTensorsAndAssetsAreCopied() throws IOException {
        Path assets = tmp.resolve("source");
        Files.createDirectories(assets);
        Files.writeString(assets.resolve("tokenizer.json"), "{\"fake\": true}");
        Files.writeString(assets.resolve("tokenizer_config.json"), "{\"chat_template\": \"x\"}");
        Files.writeString(assets.resolve("generation_config.json"), "{\"temperature\": 0.6}");
        Path out = tmp.resolve("saved");
        String mtp = "model.layers.4.";
        try (Checkpoint fixture = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            List<Param> params = new ArrayList<>(CheckpointParams.of(fixture));
            params.removeIf(p -> p.name().equals(mtp + "embed_tokens.weight") || p.name().equals(mtp + "shared_head.head.weight"));
            param(params, "lm_head.weight").value()[3] = 0.75;
            HfCheckpointWriter.write(out, fixture.config(), params, new HfCheckpointWriter.Options(DType.F32, 1L << 40, true, assets));
        }
        try (Checkpoint saved = Checkpoint.open(out)) {
            for (String[] pair : new String[][] {{"model.embed_tokens.weight", mtp + "embed_tokens.weight"},
                    {"lm_head.weight", mtp + "shared_head.head.weight"}}) {
                Tensor a = saved.tensor(pair[0]);
                Tensor b = saved.tensor(pair[1]);
                for (long i = 0; i < a.numel(); i++) {
                    assertEquals(a.get(i), b.get(i), pair[1]);
                }
            }
            assertEquals(0.75f, saved.tensor(mtp + "shared_head.head.weight").get(3));
        }
        assertEquals("{\"fake\": true}", Files.readString(out.resolve("tokenizer.json")));
        assertEquals("{\"temperature\": 0.6}", Files.readString(out.resolve("generation_config.json")));
        assertTrue(Files.exists(out.resolve("tokenizer_config.json")));
        assertTrue(Files.exists(out.resolve("model-00001-of-00001.safetensors")));
    }

    @Test
    void badParamsAreNamed() throws IOException {
        try (Checkpoint fixture = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            ModelConfig config = fixture.config();
            HfCheckpointWriter.Options f32 = new HfCheckpointWriter.Options(DType.F32, 1L << 40, true, null);

            List<Param> missing = new ArrayList<>(CheckpointParams.of(fixture));
            missing.removeIf(p -> p.name().equals("model.layers.2.mlp.experts.5.up_proj.weight"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HfCheckpointWriter.write(tmp.resolve("a"), config, missing, f32));
            assertTrue(e.getMessage().contains("model.layers.2.mlp.experts.5.up_proj.weight"), e.getMessage());

            List<Param> reshaped = new ArrayList<>(CheckpointParams.of(fixture));
            reshaped.replaceAll(p -> p.name().equals("model.norm.weight") ? new Param(p.name(), p.kind(), 63) : p);
            e = assertThrows(IllegalArgumentException.class, () -> HfCheckpointWriter.write(tmp.resolve("b"), config, reshaped, f32));
            assertTrue(e.getMessage().contains("model.norm.weight") && e.getMessage().contains("[63]"), e.getMessage());

            List<Param> extra = new ArrayList<>(CheckpointParams.of(fixture));
            extra.add(new Param("model.layers.0.mlp.experts.0.gate_proj.weight", Param.Kind.MATRIX, 2, 2));
            e = assertThrows(IllegalArgumentException.class, () -> HfCheckpointWriter.write(tmp.resolve("c"), config, extra, f32));
            assertTrue(e.getMessage().contains("model.layers.0.mlp.experts.0.gate_proj.weight"), e.getMessage());
        }
    }
}
