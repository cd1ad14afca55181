package dev.conclave.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorLimitsTest {

    @TempDir
    Path dir;

    /** Fixture A with a context of 8 positions. */
    private Checkpoint shortContext() throws Exception {
        Path a = Fixtures.fixture(Fixtures.TINY_A);
        Files.copy(a.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Files.readString(a.resolve("config.json"))
                .replaceAll("\"max_position_embeddings\":\\s*\\d+", "\"max_position_embeddings\": 8"));
        return Checkpoint.open(dir);
    }

    @Test
    void generationStopsAtTheContextLimitAndKeepsWhatItMade() throws Exception {
        try (Checkpoint c = shortContext(); Parallel p = Parallel.serial()) {
            Generator g = new Generator(InProcessPipeline.load(c, p));
            int[] ids = g.generate(new int[] {1, 5, 17}, 100, Sampler.greedy(), Set.of(), t -> { });
            assertEquals(6, ids.length, "3 prompt positions + 5 fed-back tokens fill 8 positions, the 6th is sampled");
        }
    }

    @Test
    void aPromptThatFillsTheContextIsRefused() throws Exception {
        try (Checkpoint c = shortContext(); Parallel p = Parallel.serial()) {
            Generator g = new Generator(InProcessPipeline.load(c, p));
            var e = assertThrows(IllegalArgumentException.class,
                    () -> g.generate(new int[8], 4, Sampler.greedy(), Set.of(), t -> { }));
            assertTrue(e.getMessage().contains("max_position_embeddings 8"), e.getMessage());
        }
    }
}
