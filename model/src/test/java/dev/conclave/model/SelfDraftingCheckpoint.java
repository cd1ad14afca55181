package dev.conclave.model;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.checkpoint.SafetensorsWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A random one-layer model whose MTP layer drafts well, so that tests see drafts accepted as well as
 * rejected (on the random fixtures almost every draft is rejected). Its only layer is MoE and the MTP
 * block is a copy of it; {@code eh_proj = [I | 0]} reads only the normed embedding of the next token, and
 * the embedding rows have RMS 1 so that {@code enorm} (weight 1) leaves them as the main model sees them.
 * The MTP layer at (h_i, t_{i+1}) is then the main model at position i+1 without token t_0 in its context:
 * close to the target, not equal to it.
 */
public final class SelfDraftingCheckpoint {

    private SelfDraftingCheckpoint() {
    }

    public static ModelConfig config() {
        return new ModelConfig("glm4_moe", 96, 32, 1, 4, 2, 8, 64, 16, 4, 1, 2, 1, 1, 0,
                true, 2.5, 10_000, 0.5, true, true, 1e-5, 512, false, 1, 0, List.of(1), "float32");
    }

    /** Writes the checkpoint into {@code parent}/model (and the random model it starts from into {@code parent}/random). */
    public static Path write(Path parent, long seed) throws IOException {
        ModelConfig c = config();
        Path random = parent.resolve("random");
        Path dir = parent.resolve("model");
        RandomCheckpoint.write(c, new RandomCheckpoint.Options(DType.F32, seed, true, 0), random, f -> { });
        Files.createDirectories(dir);
        Files.copy(random.resolve(Checkpoint.CONFIG_FILE), dir.resolve(Checkpoint.CONFIG_FILE));
        String mtp = "model.layers.1.";
        int h = c.hiddenSize();
        try (Checkpoint source = Checkpoint.open(random)) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (String name : source.names().stream().sorted().toList()) {
                Tensor t = source.tensor(name);
                entries.add(new SafetensorsWriter.Entry(name, DType.F32, t.shape()));
            }
            try (SafetensorsWriter out = SafetensorsWriter.create(dir.resolve(Checkpoint.SINGLE_FILE), entries)) {
                for (SafetensorsWriter.Entry e : entries) {
                    String name = e.name();
                    float[] values;
                    if (name.endsWith("embed_tokens.weight")) {
                        values = unitRmsRows(source.tensor("model.embed_tokens.weight").toFloatArray(), h);
                    } else if (name.equals(mtp + "enorm.weight") || name.equals(mtp + "hnorm.weight")) {
                        values = filled(h, 1);
                    } else if (name.equals(mtp + "eh_proj.weight")) {
                        values = new float[h * 2 * h];
                        for (int i = 0; i < h; i++) {
                            values[i * 2 * h + i] = 1;
                        }
                    } else if (name.equals(mtp + "shared_head.norm.weight")) {
                        values = source.tensor("model.norm.weight").toFloatArray();
                    } else if (name.equals(mtp + "shared_head.head.weight")) {
                        values = source.tensor("lm_head.weight").toFloatArray();
                    } else if (name.startsWith(mtp)) {
                        values = source.tensor("model.layers.0." + name.substring(mtp.length())).toFloatArray();
                    } else {
                        values = source.tensor(name).toFloatArray();
                    }
                    out.write(name, source(values));
                }
            }
        }
        return dir;
    }

    /** The values of {@code v} in order, for {@link SafetensorsWriter#write}. */
    static SafetensorsWriter.FloatSource source(float[] v) {
        int[] at = {0};
        return (chunk, count) -> {
            System.arraycopy(v, at[0], chunk, 0, count);
            at[0] += count;
        };
    }

    private static float[] unitRmsRows(float[] table, int h) {
        for (int r = 0; r < table.length / h; r++) {
            double sq = 0;
            for (int i = 0; i < h; i++) {
                sq += table[r * h + i] * (double) table[r * h + i];
            }
            float scale = (float) (1 / Math.sqrt(sq / h));
            for (int i = 0; i < h; i++) {
                table[r * h + i] *= scale;
            }
        }
        return table;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }
}
