package dev.conclave.core.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.checkpoint.TestSafetensors.Blob;
import dev.conclave.core.config.ConfigException;
import dev.conclave.core.config.ConfigLoader;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import dev.conclave.core.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MTP = "model.layers.4."; // both fixtures have 4 main layers
    private static final String SHARD_1 = "model-00001-of-00002.safetensors";
    private static final String SHARD_2 = "model-00002-of-00002.safetensors";

    /** Fixture A's tensors on the heap, the raw material of every rewritten checkpoint below. */
    private static Map<String, Blob> fixtureA;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readFixtureA() {
        fixtureA = TestSafetensors.read(Fixtures.fixture(Fixtures.TINY_A).resolve("model.safetensors"));
    }

    @ParameterizedTest
    @CsvSource({"glm4moe-tiny-a, 183", "glm4moe-tiny-b, 219"})
    void opensFixtureWithEveryExpectedTensor(String fixture, int tensorCount) {
        Path dir = Fixtures.fixture(fixture);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertEquals(dir, ckpt.dir());
            assertEquals(ConfigLoader.load(dir.resolve("config.json")), ckpt.config());
            assertTrue(ckpt.hasMtp());
            List<CheckpointLayout.Entry> layout = CheckpointLayout.of(ckpt.config()).entries();
            assertEquals(tensorCount, layout.size());
            assertEquals(layout.stream().map(CheckpointLayout.Entry::name).toList(), List.copyOf(ckpt.names()));
            for (CheckpointLayout.Entry e : layout) {
                Tensor t = ckpt.tensor(e.name());
                assertEquals(DType.F32, t.dtype(), e.name());
                assertArrayEquals(e.shape(), t.shape(), e.name());
            }
        }
    }

    @Test
    void tensorsReadTheFileBytes() {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            assertArrayEquals(floats(fixtureA.get("model.norm.weight")), ckpt.tensor("model.norm.weight").toFloatArray());
            Tensor bias = ckpt.tensor("model.layers.3.mlp.gate.e_score_correction_bias");
            assertArrayEquals(floats(fixtureA.get(bias.name())), bias.toFloatArray());
        }
    }

    @Test
    void unknownTensorNameIsNamed() {
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            assertTrue(ckpt.find("model.layers.9.mlp.gate.weight").isEmpty());
            CheckpointException e = assertThrows(CheckpointException.class, () -> ckpt.tensor("model.layers.9.mlp.gate.weight"));
            assertTrue(e.getMessage().contains("no tensor 'model.layers.9.mlp.gate.weight'"), e.getMessage());
        }
    }

    @Test
    void closingUnmapsTheTensors() {
        Checkpoint ckpt = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A));
        Tensor norm = ckpt.tensor("model.norm.weight");
        ckpt.close();
        assertThrows(IllegalStateException.class, () -> norm.get(0));
        assertThrows(IllegalStateException.class, () -> ckpt.find("model.norm.weight"));
        ckpt.close(); // idempotent
    }

    @Test
    void inMemoryTensorsAreValidatedAndServedLikeFiles() {
        try (Checkpoint file = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            Arena arena = Arena.ofShared();
            Map<String, Tensor> copies = new LinkedHashMap<>();
            for (String name : file.names()) {
                Tensor t = file.tensor(name);
                copies.put(name, new Tensor(name, t.dtype(), t.shape(), arena.allocate(t.data().byteSize()).copyFrom(t.data())));
            }
            try (Checkpoint mem = Checkpoint.inMemory(Path.of("trainer"), file.config(), copies, arena)) {
                assertEquals(file.names(), mem.names());
                assertTrue(mem.hasMtp());
                assertArrayEquals(file.tensor("model.norm.weight").toFloatArray(), mem.tensor("model.norm.weight").toFloatArray());
            }
            assertFalse(arena.scope().isAlive(), "closing the checkpoint closes its arena");

            Arena bad = Arena.ofShared();
            Map<String, Tensor> wrong = new LinkedHashMap<>(copies.size());
            file.names().forEach(n -> wrong.put(n, file.tensor(n)));
            String name = "model.layers.1.mlp.experts.3.up_proj.weight";
            wrong.put(name, new Tensor(name, DType.F32, new long[] {48, 63}, bad.allocate(48L * 63 * 4)));
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> Checkpoint.inMemory(Path.of("trainer"), file.config(), wrong, bad));
            assertTrue(e.getMessage().startsWith("trainer: tensor '" + name + "' has shape [48, 63]"), e.getMessage());
            bad.close();
        }
    }

    @Test
    void rejectsShapeThatDisagreesWithConfig() throws IOException {
        String name = "model.layers.1.mlp.experts.3.up_proj.weight";
        Path dir = checkpointFromA(blobs -> blobs.put(name, zeros(48, 63)));
        assertRejected(dir, dir.resolve("model.safetensors").toString(), "'" + name + "'", "shape [48, 63]", "implies [48, 64]");
    }

    @Test
    void rejectsMissingTensor() throws IOException {
        Path dir = checkpointFromA(blobs -> blobs.remove("model.layers.2.self_attn.k_norm.weight"));
        assertRejected(dir, "is missing 1 tensor(s): 'model.layers.2.self_attn.k_norm.weight'");
    }

    @Test
    void listsOnlyTheFirstTenMissingTensors() throws IOException {
        Path dir = checkpointFromA(blobs -> blobs.keySet().removeIf(n -> n.startsWith("model.layers.1.")));
        assertRejected(dir, "is missing 40 tensor(s): 'model.layers.1.input_layernorm.weight'", "... and 30 more");
    }

    @Test
    void rejectsUnexpectedTensor() throws IOException {
        String name = "model.layers.1.mlp.experts.8.up_proj.weight"; // fixture A has experts 0..7
        Path dir = checkpointFromA(blobs -> blobs.put(name, zeros(48, 64)));
        assertRejected(dir, "1 unexpected tensor(s)", "'" + name + "' (in model.safetensors)");
    }

    @Test
    void rejectsMtpTensorsWhenConfigHasNoMtpLayer() throws IOException {
        Path dir = checkpointFromA(blobs -> { });
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        Files.writeString(dir.resolve("config.json"), config.put("num_nextn_predict_layers", 0).toString());
        assertRejected(dir, "46 unexpected tensor(s)", "'" + MTP);
    }

    @Test
    void rejectsPartialMtpLayer() throws IOException {
        Path dir = checkpointFromA(blobs -> blobs.remove(MTP + "eh_proj.weight"));
        assertRejected(dir, "only part of the MTP layer 4", "missing 1 tensor(s): '" + MTP + "eh_proj.weight'");
    }

    @Test
    void rejectsMtpLayerReducedToItsOptionalCopies() throws IOException {
        Path dir = checkpointFromA(blobs -> blobs.keySet().removeIf(n -> n.startsWith(MTP) && !n.equals(MTP + "embed_tokens.weight")));
        assertRejected(dir, "only part of the MTP layer 4", "missing 44 tensor(s)");
    }

    @Test
    void opensWithoutMtpWhenTheLayerIsStripped() throws IOException {
        Path dir = checkpointFromA(blobs -> blobs.keySet().removeIf(n -> n.startsWith(MTP)));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertFalse(ckpt.hasMtp());
            assertTrue(ckpt.config().hasMtp());
            assertEquals(183 - 46, ckpt.names().size());
            assertTrue(ckpt.find(MTP + "enorm.weight").isEmpty());
        }
    }

    @Test
    void mtpCopiesOfEmbeddingAndHeadAreOptional() throws IOException {
        Path dir = checkpointFromA(blobs -> {
            blobs.remove(MTP + "embed_tokens.weight");
            blobs.remove(MTP + "shared_head.head.weight");
        });
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertTrue(ckpt.hasMtp());
            assertEquals(181, ckpt.names().size());
        }
    }

    @Test
    void allowsMixedDtypes() throws IOException {
        // Like a real BF16 checkpoint whose router bias stays F32.
        Path dir = checkpointFromA(blobs -> blobs.replaceAll((name, blob) ->
                name.endsWith("e_score_correction_bias") ? blob : toBf16(blob)));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertEquals(DType.F32, ckpt.tensor("model.layers.1.mlp.gate.e_score_correction_bias").dtype());
            Tensor head = ckpt.tensor("lm_head.weight");
            assertEquals(DType.BF16, head.dtype());
            float exact = floats(fixtureA.get("lm_head.weight"))[5];
            assertEquals(Float.intBitsToFloat(Float.floatToRawIntBits(exact) & 0xFFFF0000), head.get(5));
        }
    }

    @Test
    void rejectsCorruptWeightFile() throws IOException {
        Path dir = checkpointFromA(blobs -> { });
        Files.write(dir.resolve("model.safetensors"), new byte[3]);
        assertRejected(dir, dir.resolve("model.safetensors") + ": file is 3 bytes");
    }

    @Test
    void opensShardedCheckpoint() throws IOException {
        Path dir = shardedA(List.of(SHARD_1, SHARD_2), shards -> { }, weightMap -> { });
        try (Checkpoint sharded = Checkpoint.open(dir);
             Checkpoint single = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            assertEquals(single.names(), sharded.names());
            assertTrue(sharded.hasMtp());
            for (String name : List.of("model.embed_tokens.weight", "model.layers.2.mlp.experts.5.down_proj.weight", "lm_head.weight")) {
                assertArrayEquals(single.tensor(name).toFloatArray(), sharded.tensor(name).toFloatArray(), name);
            }
        }
    }

    @Test
    void rejectsIndexNamingAMissingShard() throws IOException {
        Path dir = shardedA(List.of(SHARD_1, SHARD_2), shards -> { },
                weightMap -> weightMap.put("model.norm.weight", "model-00003-of-00003.safetensors"));
        assertRejected(dir, "shard file " + dir.resolve("model-00003-of-00003.safetensors"), "'model.norm.weight'", "does not exist");
    }

    @Test
    void rejectsTensorListedInIndexButAbsentFromShard() throws IOException {
        Path dir = shardedA(List.of(SHARD_1, SHARD_2), shards -> shards.get(SHARD_2).remove("lm_head.weight"), weightMap -> { });
        assertRejected(dir, dir.resolve(SHARD_2) + ": model.safetensors.index.json lists tensor 'lm_head.weight'",
                "shard does not contain it");
    }

    @Test
    void rejectsShardTensorMissingFromIndex() throws IOException {
        Path dir = shardedA(List.of(SHARD_1, SHARD_2), shards -> { }, weightMap -> weightMap.remove("lm_head.weight"));
        assertRejected(dir, dir.resolve(SHARD_2) + ": holds tensor 'lm_head.weight'", "does not list it");
    }

    @Test
    void rejectsTensorIndexedInAnotherShard() throws IOException {
        Path dir = shardedA(List.of(SHARD_1, SHARD_2), shards -> { }, weightMap -> weightMap.put("lm_head.weight", SHARD_1));
        assertRejected(dir, dir.resolve(SHARD_2) + ": holds tensor 'lm_head.weight'", "maps it to " + SHARD_1);
    }

    @Test
    void rejectsTensorStoredInTwoShards() throws IOException {
        Path dir = shardedA(List.of(SHARD_1, SHARD_2),
                shards -> shards.get(SHARD_1).put("lm_head.weight", fixtureA.get("lm_head.weight")), weightMap -> { });
        assertRejected(dir, "tensor 'lm_head.weight' is stored in two shards", SHARD_1, SHARD_2);
    }

    @Test
    void rejectsShardOutsideTheCheckpointDirectory() throws IOException {
        Path dir = shardedA(List.of(SHARD_1, SHARD_2), shards -> { },
                weightMap -> weightMap.put("model.norm.weight", "../" + SHARD_2));
        assertRejected(dir, "shard '../" + SHARD_2 + "' for tensor 'model.norm.weight' is not a plain file name");
    }

    @Test
    void rejectsIndexWithoutWeightMap() throws IOException {
        Path dir = checkpointFromA(blobs -> { });
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\": {}}");
        assertRejected(dir, dir.resolve(Checkpoint.INDEX_FILE) + ": no \"weight_map\" object");
    }

    @Test
    void rejectsDirectoryWithoutWeights() throws IOException {
        Path dir = checkpointFromA(blobs -> { });
        Files.delete(dir.resolve("model.safetensors"));
        assertRejected(dir, "neither model.safetensors.index.json nor model.safetensors found");
    }

    @Test
    void rejectsDirectoryWithoutConfig() throws IOException {
        Path dir = checkpointFromA(blobs -> { });
        Files.delete(dir.resolve("config.json"));
        ConfigException e = assertThrows(ConfigException.class, () -> Checkpoint.open(dir));
        assertEquals(dir.resolve("config.json") + ": file not found", e.getMessage());
    }

    @Test
    void rejectsPathThatIsNotADirectory() {
        Path missing = tmp.resolve("absent");
        assertRejected(missing, missing + ": not a checkpoint directory");
    }

    @Test
    void layoutCountsMatchTheSpecForRealModels() {
        // spec §6.6: Air has 12 tensors per dense layer, 398 per MoE layer, 404 in the MTP layer, 18,329 in all.
        ModelConfig air = ConfigLoader.parse("""
                {"model_type": "glm4_moe", "vocab_size": 151552, "hidden_size": 4096, "num_hidden_layers": 46,
                 "num_attention_heads": 96, "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 10944,
                 "moe_intermediate_size": 1408, "n_routed_experts": 128, "num_experts_per_tok": 8,
                 "first_k_dense_replace": 1, "attention_bias": true, "use_qk_norm": false, "num_nextn_predict_layers": 1}""",
                "air");
        List<CheckpointLayout.Entry> entries = CheckpointLayout.of(air).entries();
        assertEquals(18329, entries.size());
        assertEquals(12, entries.stream().filter(e -> e.name().startsWith("model.layers.0.")).count());
        assertEquals(398, entries.stream().filter(e -> e.name().startsWith("model.layers.1.")).count());
        assertEquals(404, entries.stream().filter(e -> e.name().startsWith("model.layers.46.")).count());
        assertArrayEquals(new long[] {4096, 8192}, CheckpointLayout.of(air).find("model.layers.46.eh_proj.weight").orElseThrow().shape());
    }

    /** A single-file checkpoint in tmp: fixture A's config and its tensors after {@code edit}. */
    private Path checkpointFromA(Consumer<Map<String, Blob>> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Files.copy(Fixtures.fixture(Fixtures.TINY_A).resolve("config.json"), dir.resolve("config.json"));
        Map<String, Blob> blobs = new LinkedHashMap<>(fixtureA);
        edit.accept(blobs);
        TestSafetensors.write(dir.resolve("model.safetensors"), blobs);
        return dir;
    }

    /**
     * Fixture A split into consecutive shards of about equal tensor count, with an index; {@code editShards}
     * and {@code editIndex} may break them before they are written.
     */
    private Path shardedA(List<String> shardNames, Consumer<Map<String, Map<String, Blob>>> editShards,
                          Consumer<Map<String, String>> editIndex) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(Fixtures.fixture(Fixtures.TINY_A).resolve("config.json"), dir.resolve("config.json"));
        List<String> names = new ArrayList<>(fixtureA.keySet());
        Map<String, Map<String, Blob>> shards = new LinkedHashMap<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String shard = shardNames.get(i * shardNames.size() / names.size());
            shards.computeIfAbsent(shard, _ -> new LinkedHashMap<>()).put(names.get(i), fixtureA.get(names.get(i)));
            weightMap.put(names.get(i), shard);
        }
        editShards.accept(shards);
        editIndex.accept(weightMap);
        for (Map.Entry<String, Map<String, Blob>> shard : shards.entrySet()) {
            TestSafetensors.write(dir.resolve(shard.getKey()), shard.getValue());
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", 0);
        index.set("weight_map", JSON.valueToTree(weightMap));
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), index.toString());
        return dir;
    }

    private static void assertRejected(Path dir, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    private static Blob zeros(long... shape) {
        return new Blob("F32", shape, new byte[Math.toIntExact(Tensor.numel(shape) * 4)]);
    }

    private static float[] floats(Blob blob) {
        ByteBuffer bytes = ByteBuffer.wrap(blob.data()).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[blob.data().length / 4];
        bytes.asFloatBuffer().get(out);
        return out;
    }

    /** Truncates F32 to BF16 (drops the low mantissa half), so the expected value is easy to state. */
    private static Blob toBf16(Blob blob) {
        float[] values = floats(blob);
        ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            out.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        return new Blob("BF16", blob.shape(), out.array());
    }
}
