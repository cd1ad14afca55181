package dev.conclave.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.checkpoint.SafetensorsWriter;
import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import dev.conclave.model.RandomCheckpoint;
import dev.conclave.training.Param;
import dev.conclave.training.nn.TinyConfigs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading through the project's checkpoint reader: every tensor widened, and the shared MTP copies checked. */
class CheckpointLoadTest {

    private static final Parallel SERIAL = Parallel.serial();

    @Test
    void everyParamTakesItsTensorWidenedFromBf16(@TempDir Path dir) throws IOException {
        ModelConfig c = TinyConfigs.gradCheck();
        RandomCheckpoint.write(c, new RandomCheckpoint.Options(DType.BF16, 9, false, 0), dir, _ -> { });
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            TrainableModel model = TrainableModel.load(checkpoint, SERIAL);
            assertTrue(model.hasMtp());
            assertEquals(checkpoint.names().size(), model.params().size(), "one param per stored tensor");
            for (Param p : model.params()) {
                Tensor t = checkpoint.tensor(p.name());
                for (int i = 0; i < p.size(); i++) {
                    assertEquals(t.get(i), p.value()[i], 0, p.name() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void anMtpEmbeddingCopyThatDiffersIsRefusedByName(@TempDir Path dir) throws IOException {
        ModelConfig c = TinyConfigs.gradCheck();
        Path source = dir.resolve("source");
        RandomCheckpoint.write(c, new RandomCheckpoint.Options(DType.F32, 9, true, 0), source, _ -> { });
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("config.json"), ConfigWriter.toJson(c, DType.F32));
        String copy = "model.layers.2.embed_tokens.weight";
        try (Checkpoint original = Checkpoint.open(source)) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (String name : original.names()) {
                entries.add(new SafetensorsWriter.Entry(name, DType.F32, original.tensor(name).shape()));
            }
            try (SafetensorsWriter w = SafetensorsWriter.create(broken.resolve("model.safetensors"), entries)) {
                for (String name : original.names()) {
                    Tensor t = original.tensor(name);
                    long[] at = {0};
                    w.write(name, (chunk, count) -> {
                        for (int i = 0; i < count; i++) {
                            chunk[i] = t.get(at[0]) + (name.equals(copy) && at[0] == 5 ? 1f : 0f);
                            at[0]++;
                        }
                    });
                }
            }
        }
        try (Checkpoint checkpoint = Checkpoint.open(broken)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TrainableModel.load(checkpoint, SERIAL));
            assertTrue(e.getMessage().contains(copy) && e.getMessage().contains("element 5"), e.getMessage());
        }
        try (Checkpoint checkpoint = Checkpoint.open(source)) {
            assertTrue(TrainableModel.load(checkpoint, SERIAL).hasMtp(), "equal copies load");
        }
    }
}
