package dev.conclave.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.model.RandomCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A config shipped in the model module, copied to a file as an operator would pass it. */
    private Path bundled(String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = RandomCheckpoint.class.getResourceAsStream("/configs/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    private JsonNode planJson(String config) throws IOException {
        CliRun run = CliRun.of("plan", "--config", bundled(config).toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        return JSON.readTree(run.out());
    }

    @Test
    void jsonForGlm45GivesTheHeadlineCounts() throws IOException {
        JsonNode p = planJson("glm-4.5.json");
        assertEquals(358.34e9, p.get("total_params").asDouble(), 0.01e9);
        assertEquals(32.08e9, p.get("active_params").asDouble(), 0.01e9);
        assertEquals(355.24e9, p.get("main_and_mtp_without_embeddings").asDouble(), 0.01e9);
        assertEquals(136_329_472L, p.get("attention_per_layer").asLong());
        assertEquals("BF16", p.get("dtype").asText());
        assertEquals(716.68e9, p.get("total_bytes").asDouble(), 0.01e9);
        assertEquals(p.get("total_bytes").asLong(), p.get("total_bytes_by_dtype").get("BF16").asLong());
    }

    @Test
    void jsonForGlm45AirGivesTheHeadlineCounts() throws IOException {
        JsonNode p = planJson("glm-4.5-air.json");
        assertEquals(110.47e9, p.get("total_params").asDouble(), 0.01e9);
        assertEquals(12.18e9, p.get("active_params").asDouble(), 0.01e9);
        assertEquals(106.85e9, p.get("main_with_embeddings").asDouble(), 0.01e9);
    }

    @Test
    void tableMarksHeadlineRowsAndShowsBytesInTheDtype() throws IOException {
        CliRun run = CliRun.of("plan", "--config", bundled("glm-4.5.json").toString(), "--dtype", "F32");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("358,337,791,296"), run.out());
        assertTrue(run.out().matches("(?s).*\\nH +main \\+ MTP, excl\\. emb \\+ head +355,234,006,336 +355\\.23 B +1\\.42 TB\\n.*"), run.out());
        assertTrue(run.out().matches("(?s).*\\nA +activated per token \\(layers only\\) +32,080,368,544.*"), run.out());
        assertTrue(run.out().contains("F32 bytes"), run.out());
    }

    @Test
    void reportsAMissingConfigAsAnError() {
        CliRun run = CliRun.of("plan", "--config", dir.resolve("absent.json").toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("absent.json"), run.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[]{"plan", "random-model"}) {
            CliRun run = CliRun.of(command, "--help");
            assertEquals(0, run.exitCode());
            assertTrue(run.out().startsWith("Usage: conclave " + command), run.out());
        }
    }
}
