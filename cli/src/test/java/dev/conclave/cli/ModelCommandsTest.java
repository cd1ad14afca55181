package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model-running commands end to end, in-process, against the golden fixtures. */
class ModelCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode golden(String fixture) throws IOException {
        return JSON.readTree(Fixtures.fixture(fixture).resolve("golden.json").toFile());
    }

    private static String csv(JsonNode ids) {
        List<String> parts = new ArrayList<>();
        ids.forEach(n -> parts.add(n.asText()));
        return String.join(",", parts);
    }

    private static double relL2(JsonNode ours, JsonNode golden) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < golden.size(); i++) {
            double g = golden.get(i).asDouble();
            double d = ours.get(i).asDouble() - g;
            diff += d * d;
            norm += g * g;
        }
        return Math.sqrt(diff / norm);
    }

    @Test
    void logitsWithMtpPrintsEveryPositionAndTheDraftAsJson() throws IOException {
        JsonNode g = golden(Fixtures.TINY_A);
        CliRun run = CliRun.of("logits", "--model", Fixtures.fixture(Fixtures.TINY_A).toString(),
                "--tokens", csv(g.get("tokens")), "--mtp", "--threads", "2");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode out = JSON.readTree(run.out());
        assertEquals(g.get("tokens"), out.get("tokens"));
        JsonNode logits = out.get("logits");
        assertEquals(g.get("tokens").size(), logits.size());
        for (int p = 0; p < logits.size(); p++) {
            assertTrue(relL2(logits.get(p), g.get("logits").get(p)) <= 1e-4, "position " + p);
        }
        assertEquals(g.get("mtp").get("next_token").asInt(), out.get("mtp").get("next_token").asInt());
        assertTrue(relL2(out.get("mtp").get("logits_last"), g.get("mtp").get("logits_last_sglang")) <= 1e-4);
    }

    @Test
    void logitsWithoutMtpHasNoMtpField() throws IOException {
        CliRun run = CliRun.of("logits", "--model", Fixtures.fixture(Fixtures.TINY_B).toString(), "--tokens", "1,2,3");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode out = JSON.readTree(run.out());
        assertEquals(3, out.get("logits").size());
        assertTrue(out.get("mtp") == null);
    }

    @Test
    void greedyGenerateJsonReproducesTheGoldenContinuation() throws IOException {
        for (String fixture : List.of(Fixtures.TINY_B, Fixtures.TINY_C)) {
            JsonNode g = golden(fixture);
            CliRun run = CliRun.of("generate", "--model", Fixtures.fixture(fixture).toString(),
                    "--prompt-ids", csv(g.get("tokens")), "--max-tokens", "16", "--ignore-eos", "--json");
            assertEquals(0, run.exitCode(), run.err());
            assertEquals(g.get("greedy_16"), JSON.readTree(run.out()).get("ids"), fixture);
        }
    }

    @Test
    void sampledGenerationIsReproducibleForASeed() {
        String model = Fixtures.fixture(Fixtures.TINY_A).toString();
        String[] args = {"generate", "--model", model, "--prompt-ids", "5,17,300", "--max-tokens", "12",
                "--temperature", "1.5", "--top-k", "50", "--top-p", "0.95", "--ignore-eos", "--seed", "11"};
        CliRun first = CliRun.of(args);
        CliRun again = CliRun.of(args);
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(first.out(), again.out());
        args[args.length - 1] = "12";
        assertNotEquals(first.out(), CliRun.of(args).out());
        assertEquals(12, first.out().trim().split(",").length);
    }

    @Test
    void generationStopsAtAnEosToken() throws IOException {
        JsonNode g = golden(Fixtures.TINY_A);
        int stop = g.get("greedy_16").get(3).asInt();
        Path dir = copyWithEos(Fixtures.fixture(Fixtures.TINY_A), stop);
        CliRun run = CliRun.of("generate", "--model", dir.toString(), "--prompt-ids", csv(g.get("tokens")),
                "--max-tokens", "16", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode ids = JSON.readTree(run.out()).get("ids");
        assertEquals(4, ids.size());
        assertEquals(stop, ids.get(3).asInt());
    }

    @TempDir
    Path tmp;

    private Path copyWithEos(Path fixture, int eos) throws IOException {
        Path dir = tmp.resolve("eos");
        Files.createDirectories(dir);
        Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String config = Files.readString(fixture.resolve("config.json"))
                .replaceAll("\"eos_token_id\":\\s*\\[[^]]*]", "\"eos_token_id\": [" + eos + "]");
        Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    @Test
    void benchJsonReportsSpeedsBandwidthAndRoofline() throws IOException {
        CliRun run = CliRun.of("bench", "--model", Fixtures.fixture(Fixtures.TINY_C).toString(), "--prompt", "8",
                "--gen", "4", "--repeats", "1", "--bandwidth-mib", "32", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode r = JSON.readTree(run.out());
        for (String key : List.of("prefill_tok_s", "decode_tok_s", "memory_bandwidth_gb_s", "decode_roofline_tok_s")) {
            assertTrue(r.get(key).asDouble() > 0, key);
        }
        assertTrue(r.get("active_bytes_per_token").asLong() > 0);
    }

    @Test
    void generateWithMtpDraftsReproducesTheGoldenGreedyContinuation() throws IOException {
        JsonNode g = golden(Fixtures.TINY_C);
        CliRun run = CliRun.of("generate", "--model", Fixtures.fixture(Fixtures.TINY_C).toString(),
                "--prompt-ids", csv(g.get("tokens")), "--max-tokens", "16", "--ignore-eos", "--json", "--mtp", "2");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(g.get("greedy_16"), JSON.readTree(run.out()).get("ids"));
        assertTrue(run.err().contains("tokens per step"), run.err());
    }

    @Test
    void benchWithMtpPutsEachDraftCountBesideNoMtp() throws IOException {
        CliRun run = CliRun.of("bench", "--model", Fixtures.fixture(Fixtures.TINY_C).toString(), "--prompt", "8",
                "--gen", "6", "--repeats", "1", "--bandwidth-mib", "32", "--mtp", "2", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode rows = JSON.readTree(run.out()).get("mtp");
        assertEquals(3, rows.size());
        for (int d = 0; d < 3; d++) {
            JsonNode row = rows.get(d);
            assertEquals(d, row.get("drafts").asInt());
            assertEquals(d, row.get("acceptance_by_position").size());
            assertTrue(row.get("decode_tok_s").asDouble() > 0);
            assertTrue(row.get("same_output").asBoolean(), "greedy output with " + d + " drafts");
            assertTrue(row.get("predicted_speedup").asDouble() > 0, "predicted speedup with " + d + " drafts");
        }
        assertEquals(1.0, rows.get(0).get("speedup").asDouble());
        JsonNode costs = JSON.readTree(run.out()).get("mtp_step_cost");
        assertEquals(3, costs.size());
        for (int r = 0; r < 3; r++) {
            assertEquals(r + 1, costs.get(r).get("rows").asInt());
            assertTrue(costs.get(r).get("main_us").asDouble() > 0 && costs.get(r).get("mtp_us").asDouble() > 0);
        }
    }

    @Test
    void badInputFailsWithAClearErrorNamingTheProblem() {
        String a = Fixtures.fixture(Fixtures.TINY_A).toString();
        assertError(CliRun.of("logits", "--model", a, "--tokens", "1,x,3"), "--tokens");
        assertError(CliRun.of("logits", "--model", a, "--tokens", "1,512"), "512");
        assertError(CliRun.of("generate", "--model", a, "--prompt-ids", "1", "--max-tokens", "0"), "--max-tokens");
        assertError(CliRun.of("generate", "--model", a, "--prompt-ids", "1", "--temperature", "-1"), "temperature");
        assertError(CliRun.of("logits", "--model", tmp.resolve("missing").toString(), "--tokens", "1"), "missing");
    }

    private static void assertError(CliRun run, String mentioned) {
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains(mentioned), "error should mention '" + mentioned + "': " + run.err());
    }
}
