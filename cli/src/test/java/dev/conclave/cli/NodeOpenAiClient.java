package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The official {@code openai} Node.js client, pinned by {@code src/test/resources/openai-node/package-lock.json}
 * and installed with {@code npm ci} into {@code target/openai-node} (again only when the lock file changes),
 * running {@code client.mjs} there. Without node and npm the tests fail when {@code CI} is set and are
 * skipped with a message otherwise.
 */
final class NodeOpenAiClient {
    private static final List<String> FILES = List.of("package.json", "package-lock.json", "client.mjs", "tools.json");
    private static final String INSTALLED_LOCK = "node_modules/.conclave-installed-lock.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private NodeOpenAiClient(Path dir) {
        this.dir = dir;
    }

    static synchronized NodeOpenAiClient install() throws IOException, InterruptedException {
        requireTool("node");
        requireTool("npm");
        Path dir = Path.of("target", "openai-node").toAbsolutePath();
        Files.createDirectories(dir);
        for (String name : FILES) {
            try (InputStream in = NodeOpenAiClient.class.getResourceAsStream("/openai-node/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("openai-node/" + name + " is missing from the test resources");
                }
                Files.write(dir.resolve(name), in.readAllBytes());
            }
        }
        Path installed = dir.resolve(INSTALLED_LOCK);
        byte[] lock = Files.readAllBytes(dir.resolve("package-lock.json"));
        if (!Files.exists(installed) || !Arrays.equals(lock, Files.readAllBytes(installed))) {
            Result ci = run(dir, 300, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts");
            if (ci.exitCode != 0) {
                fail("npm ci in " + dir + " failed (exit " + ci.exitCode + "):\n" + ci.out + ci.err);
            }
            Files.write(installed, lock);
        }
        return new NodeOpenAiClient(dir);
    }

    /** Runs {@code node client.mjs MODE BASE_URL API_KEY MODEL} and returns the JSON it printed. */
    JsonNode run(String mode, String baseUrl, String apiKey, String model) throws IOException, InterruptedException {
        Result r = run(dir, 120, "node", "client.mjs", mode, baseUrl, apiKey, model);
        assertEquals(0, r.exitCode, "node client.mjs " + mode + " failed:\n" + r.err + r.out);
        return JSON.readTree(r.out);
    }

    private static void requireTool(String tool) throws InterruptedException {
        try {
            if (run(Path.of("."), 60, tool, "--version").exitCode == 0) {
                return;
            }
        } catch (IOException absent) {
            // Reported below, the same way as a tool that does not run.
        }
        String message = "'" + tool + "' (Node.js with npm) is not on the PATH: the test with the openai Node.js client cannot run";
        if (System.getenv("CI") != null) {
            fail(message + " (CI is set, so this is a failure)");
        }
        Assumptions.abort(message + "; skipped (set CI to make this a failure)");
    }

    private record Result(int exitCode, String out, String err) {
    }

    private static Result run(Path dir, int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("conclave-node-", ".out");
        Path err = Files.createTempFile("conclave-node-", ".err");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s:\n" + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
