package dev.conclave.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.SafetensorsTestFiles;
import dev.conclave.core.checkpoint.SafetensorsTestFiles.Header;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static RandomCheckpoint.Options options(DType dtype, long seed, boolean mtpCopies, long maxShardBytes) {
        return new RandomCheckpoint.Options(dtype, seed, mtpCopies, maxShardBytes);
    }

    private static RandomCheckpoint.Written write(ModelConfig c, RandomCheckpoint.Options o, Path out) throws IOException {
        return RandomCheckpoint.write(c, o, out, fraction -> {
        });
    }

    /** Spec §6 written out for a config: every tensor name with its shape, as a test-side oracle. */
    private static Map<String, List<Long>> specTensors(ModelConfig c, boolean mtpCopies) {
        long h = c.hiddenSize(), v = c.vocabSize(), q = c.qWidth(), kv = c.kvWidth();
        Map<String, List<Long>> t = new TreeMap<>();
        t.put("model.embed_tokens.weight", List.of(v, h));
        t.put("model.norm.weight", List.of(h));
        t.put("lm_head.weight", List.of(v, h));
        int mtp = c.numHiddenLayers();
        for (int l = 0; l <= mtp; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", List.of(h));
            t.put(p + "post_attention_layernorm.weight", List.of(h));
            t.put(p + "self_attn.q_proj.weight", List.of(q, h));
            t.put(p + "self_attn.k_proj.weight", List.of(kv, h));
            t.put(p + "self_attn.v_proj.weight", List.of(kv, h));
            t.put(p + "self_attn.o_proj.weight", List.of(h, q));
            if (c.attentionBias()) {
                t.put(p + "self_attn.q_proj.bias", List.of(q));
                t.put(p + "self_attn.k_proj.bias", List.of(kv));
                t.put(p + "self_attn.v_proj.bias", List.of(kv));
            }
            if (c.useQkNorm()) {
                t.put(p + "self_attn.q_norm.weight", List.of((long) c.headDim()));
                t.put(p + "self_attn.k_norm.weight", List.of((long) c.headDim()));
            }
            List<String> mlps = new ArrayList<>();
            if (l < c.firstKDenseReplace()) {
                mlps.add(p + "mlp.");
            } else {
                t.put(p + "mlp.gate.weight", List.of((long) c.nRoutedExperts(), h));
                t.put(p + "mlp.gate.e_score_correction_bias", List.of((long) c.nRoutedExperts()));
                for (int e = 0; e < c.nRoutedExperts(); e++) {
                    mlps.add(p + "mlp.experts." + e + ".");
                }
                mlps.add(p + "mlp.shared_experts.");
            }
            for (String m : mlps) {
                long w = m.endsWith("mlp.") ? c.intermediateSize()
                        : m.contains("shared") ? (long) c.moeIntermediateSize() * c.nSharedExperts() : c.moeIntermediateSize();
                t.put(m + "gate_proj.weight", List.of(w, h));
                t.put(m + "up_proj.weight", List.of(w, h));
                t.put(m + "down_proj.weight", List.of(h, w));
            }
        }
        String p = "model.layers." + mtp + ".";
        t.put(p + "enorm.weight", List.of(h));
        t.put(p + "hnorm.weight", List.of(h));
        t.put(p + "eh_proj.weight", List.of(h, 2 * h));
        t.put(p + "shared_head.norm.weight", List.of(h));
        if (mtpCopies) {
            t.put(p + "embed_tokens.weight", List.of(v, h));
            t.put(p + "shared_head.head.weight", List.of(v, h));
        }
        return t;
    }

    /** name → shape over every safetensors file of a checkpoint directory, failing on a name seen twice. */
    private static Map<String, List<Long>> writtenTensors(Path checkpoint) throws IOException {
        Map<String, List<Long>> t = new TreeMap<>();
        for (Path file : safetensorsFiles(checkpoint)) {
            Header h = SafetensorsTestFiles.header(file);
            for (String name : h.names()) {
                List<Long> shape = Arrays.stream(h.shape(name)).boxed().toList();
                assertEquals(null, t.put(name, shape), "written twice: " + name);
                assertEquals(name.endsWith("e_score_correction_bias") ? DType.F32 : DType.BF16, h.dtype(name), name);
            }
        }
        return t;
    }

    private static List<Path> safetensorsFiles(Path checkpoint) throws IOException {
        try (Stream<Path> files = Files.list(checkpoint)) {
            return files.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    @Test
    void writesEverySpecTensorOnceWithItsShape() throws IOException {
        for (ModelConfig c : List.of(TestConfigs.tiny(true, false, 1), TestConfigs.tiny(false, true, 2))) {
            for (boolean copies : new boolean[]{true, false}) {
                Path out = dir.resolve("m-" + c.useQkNorm() + "-" + copies);
                RandomCheckpoint.Written w = write(c, options(DType.BF16, 1, copies, 0), out);
                Map<String, List<Long>> expected = specTensors(c, copies);
                assertEquals(expected, writtenTensors(out));
                assertEquals(List.of(out.resolve("model.safetensors")), safetensorsFiles(out));
                assertEquals(expected.size(), w.tensors());
                long copyParams = copies ? 0 : 2L * c.vocabSize() * c.hiddenSize();
                assertEquals(ParamPlan.of(c).total() - copyParams, w.params());
                assertEquals("bfloat16", JSON.readTree(out.resolve("config.json").toFile()).get("torch_dtype").asText());
            }
        }
    }

    @Test
    void shardsCarryAnIndexAndTheSameValues() throws IOException {
        ModelConfig c = TestConfigs.tiny(true, true, 1);
        Path single = dir.resolve("single");
        Path sharded = dir.resolve("sharded");
        write(c, options(DType.BF16, 3, true, 0), single);
        RandomCheckpoint.Written w = write(c, options(DType.BF16, 3, true, 3000), sharded);

        List<Path> shards = safetensorsFiles(sharded);
        assertTrue(shards.size() > 2, "several shards: " + shards);
        assertEquals(shards.size(), w.files());
        assertFalse(Files.exists(sharded.resolve("model.safetensors")));
        JsonNode index = JSON.readTree(sharded.resolve("model.safetensors.index.json").toFile());
        assertEquals(ParamPlan.of(c).totalBytes(DType.BF16), index.get("metadata").get("total_size").asLong());
        assertEquals(w.bytes(), index.get("metadata").get("total_size").asLong());
        JsonNode weightMap = index.get("weight_map");
        assertEquals(specTensors(c, true).keySet(), new HashSet<>(fieldNames(weightMap)));
        for (int i = 0; i < shards.size(); i++) {
            Path shard = shards.get(i);
            String fileName = shard.getFileName().toString();
            assertEquals("model-%05d-of-%05d.safetensors".formatted(i + 1, shards.size()), fileName);
            for (String name : SafetensorsTestFiles.header(shard).names()) {
                assertEquals(fileName, weightMap.get(name).asText());
                assertArrayEquals(SafetensorsTestFiles.bytes(single.resolve("model.safetensors"), name),
                        SafetensorsTestFiles.bytes(shard, name), name);
            }
        }
        assertEquals(writtenTensors(single), writtenTensors(sharded));
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void theSeedDeterminesEveryByteAndCopiesEqualTheirOriginals() throws IOException {
        ModelConfig c = TestConfigs.tiny(true, false, 1);
        write(c, options(DType.BF16, 7, true, 0), dir.resolve("a"));
        write(c, options(DType.BF16, 7, true, 0), dir.resolve("b"));
        write(c, options(DType.BF16, 8, true, 0), dir.resolve("c"));
        Path a = dir.resolve("a/model.safetensors");
        assertEquals(-1, Files.mismatch(a, dir.resolve("b/model.safetensors")));
        assertNotEquals(-1, Files.mismatch(a, dir.resolve("c/model.safetensors")));
        assertArrayEquals(SafetensorsTestFiles.bytes(a, "model.embed_tokens.weight"),
                SafetensorsTestFiles.bytes(a, "model.layers.3.embed_tokens.weight"));
        assertArrayEquals(SafetensorsTestFiles.bytes(a, "lm_head.weight"),
                SafetensorsTestFiles.bytes(a, "model.layers.3.shared_head.head.weight"));
        assertFalse(Arrays.equals(SafetensorsTestFiles.bytes(a, "model.layers.1.mlp.experts.0.up_proj.weight"),
                SafetensorsTestFiles.bytes(a, "model.layers.1.mlp.experts.1.up_proj.weight")));
    }

    @Test
    void valuesHaveTheScalesThatKeepActivationsOrderOne() throws IOException {
        ModelConfig c = TestConfigs.tiny(true, false, 1);
        Path file = dir.resolve("f32/model.safetensors");
        write(c, options(DType.F32, 11, true, 0), file.getParent());
        Header h = SafetensorsTestFiles.header(file);
        double[] matrix = new double[2];  // Σ (w·√fan_in)², count
        double[] norm = new double[3];    // Σ w, Σ w², count
        for (String name : h.names()) {
            float[] w = SafetensorsTestFiles.floats(file, name);
            long[] shape = h.shape(name);
            if (name.endsWith("proj.weight") || name.endsWith("gate.weight") || name.equals("lm_head.weight")) {
                for (float x : w) {
                    matrix[0] += x * x * shape[1];
                    matrix[1]++;
                }
            } else if (name.endsWith("norm.weight") || name.endsWith("layernorm.weight")) {
                for (float x : w) {
                    norm[0] += x;
                    norm[1] += x * x;
                    norm[2]++;
                }
            }
            for (float x : w) {
                assertTrue(Float.isFinite(x), name);
            }
        }
        assertEquals(1.0, matrix[0] / matrix[1], 0.05, "matrices have variance 1/fan_in");
        double mean = norm[0] / norm[2];
        assertEquals(1.0, mean, 0.02, "norm weights center on 1");
        assertEquals(0.1, Math.sqrt(norm[1] / norm[2] - mean * mean), 0.02, "norm weights spread 0.1");
    }

    @Test
    void layoutHasTheSpecTensorCountsAndParamPlanTotals() {
        for (var c : List.of(TestConfigs.glm45(), TestConfigs.glm45Air(), TestConfigs.bench())) {
            List<RandomCheckpoint.Planned> layout = RandomCheckpoint.layout(c, DType.BF16, true);
            ParamPlan plan = ParamPlan.of(c);
            assertEquals(plan.total(), layout.stream().mapToLong(t -> t.entry().numel()).sum());
            assertEquals(plan.totalBytes(DType.BF16), layout.stream().mapToLong(t -> t.entry().byteSize()).sum());
            assertEquals(layout.size(), layout.stream().map(t -> t.entry().name()).distinct().count());
        }
        // Spec §6.6: 44,691 tensors in GLM-4.5, 18,329 in GLM-4.5-Air.
        assertEquals(44_691, RandomCheckpoint.layout(TestConfigs.glm45(), DType.BF16, true).size());
        assertEquals(18_329, RandomCheckpoint.layout(TestConfigs.glm45Air(), DType.BF16, true).size());
    }
}
