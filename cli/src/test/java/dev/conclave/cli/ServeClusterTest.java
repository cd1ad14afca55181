package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.actors.ConclaveNode;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.core.testing.Ports;
import dev.conclave.placement.PlacementLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `conclave serve --cluster`: a one-node cluster on 127.0.0.1 (a whole {@link ConclaveNode} in this JVM: its
 * orchestrator, attention stage and experts) served over HTTP with continuous batching must answer concurrent
 * greedy requests with exactly the tokens the single-JVM server gives.
 */
class ServeClusterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REQUESTS = 6;

    @TempDir
    Path dir;

    private static List<JsonNode> chatAll(String base) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Future<JsonNode>> answers = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < REQUESTS; i++) {
                String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"request " + i + " "
                        + "xy".repeat(i) + "\"}],\"max_tokens\":" + (6 + 3 * i) + ",\"temperature\":0}";
                answers.add(clients.submit(() -> {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), r.body());
                    JsonNode choice = JSON.readTree(r.body()).get("choices").get(0);
                    return JSON.createObjectNode().put("content", choice.get("message").path("content").asText(""))
                            .put("reasoning", choice.get("message").path("reasoning_content").asText(""))
                            .put("finish", choice.get("finish_reason").asText())
                            // The decode speed differs from run to run; the token counts must not.
                            .set("usage", ((ObjectNode) JSON.readTree(r.body()).get("usage")).without("conclave"));
                }));
            }
        }
        List<JsonNode> out = new ArrayList<>();
        for (Future<JsonNode> f : answers) {
            out.add(f.get());
        }
        return out;
    }

    private ServeCommand serve(String... extra) {
        ServeCommand command = new ServeCommand();
        List<String> args = new ArrayList<>(List.of("--model", dir.resolve("model").toString(), "--port", "0",
                "--grpc-port", "-1", "--served-name", "m", "--threads", "2", "--max-seqs", "4", "--prefill-chunk", "8"));
        args.addAll(List.of(extra));
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
        return command;
    }

    @Test
    void aClusterServesTheSameGreedyTokensAsOneJvm() throws Exception {
        Path model = ServableModel.create(Files.createDirectories(dir.resolve("model")));
        // A node name of its own: the data plane's Aeron directory is named after the node.
        String node = "serve-cluster-test-" + ProcessHandle.current().pid();
        Path conf = dir.resolve("cluster.conf");
        Files.writeString(conf, """
                conclave {
                  cluster-name = "conclave"
                  seed-nodes = [%s]
                  nodes {
                    %s {
                      host = "127.0.0.1"
                      pekko-port = %d
                      roles = [orchestrator, attention, experts]
                      attention-layers = "all"
                      experts = [ { layers = "all", experts = "all" } ]
                    }
                  }
                }
                """.formatted(node, node, Ports.freeTcp()));

        List<JsonNode> local;
        try (ServeCommand.Served served = serve().start()) {
            local = chatAll("http://127.0.0.1:" + served.server().port());
        }
        List<JsonNode> clustered;
        List<JsonNode> drafted;
        try (ConclaveNode cluster = ConclaveNode.start(PlacementLoader.load(conf), node, model)) {
            try (ServeCommand.Served served = serve("--cluster", conf.toString(), "--timeout", "30s").start()) {
                clustered = chatAll("http://127.0.0.1:" + served.server().port());
            }
            // The MTP layer drafts through the cluster's orchestrator; verification keeps the greedy output.
            try (ServeCommand.Served served = serve("--cluster", conf.toString(), "--timeout", "30s", "--mtp", "2").start()) {
                drafted = chatAll("http://127.0.0.1:" + served.server().port());
            }
        }
        for (int i = 0; i < REQUESTS; i++) {
            assertEquals(local.get(i), clustered.get(i), "request " + i);
            assertEquals(local.get(i), drafted.get(i), "request " + i + " with MTP drafts");
            assertTrue(local.get(i).get("usage").get("completion_tokens").asInt() > 0, "request " + i);
        }
    }

    /** `generate --cluster --mtp` drafts in its own process over the cluster's steps: the golden greedy ids. */
    @Test
    void generateDraftsThroughAClusterAndKeepsTheGreedyContinuation() throws Exception {
        JsonNode golden = JSON.readTree(Fixtures.fixture(Fixtures.TINY_C).resolve("golden.json").toFile());
        String node = "generate-cluster-test-" + ProcessHandle.current().pid();
        Path conf = dir.resolve("generate.conf");
        Files.writeString(conf, """
                conclave {
                  seed-nodes = [%s]
                  nodes {
                    %s { host = "127.0.0.1", pekko-port = %d, roles = [orchestrator, attention, experts],
                         attention-layers = "all", experts = [ { layers = "all", experts = "all" } ] }
                  }
                }
                """.formatted(node, node, Ports.freeTcp()));
        StringBuilder prompt = new StringBuilder();
        golden.get("tokens").forEach(t -> prompt.append(prompt.isEmpty() ? "" : ",").append(t.asInt()));
        try (ConclaveNode cluster = ConclaveNode.start(PlacementLoader.load(conf), node, Fixtures.fixture(Fixtures.TINY_C))) {
            CliRun run = CliRun.of("generate", "--cluster", conf.toString(), "--model", Fixtures.fixture(Fixtures.TINY_C).toString(),
                    "--prompt-ids", prompt.toString(), "--max-tokens", "16", "--ignore-eos", "--json", "--mtp", "2");
            assertEquals(0, run.exitCode(), run.err());
            assertEquals(golden.get("greedy_16"), JSON.readTree(run.out()).get("ids"));
            assertTrue(run.err().contains("tokens per step"), run.err());
        }
    }

    @Test
    void mtpThroughAClusterWithoutTheMtpLayerIsRefusedNamingIt() throws Exception {
        Path model = Files.createDirectories(dir.resolve("no-mtp"));
        String config = Files.readString(Fixtures.fixture(Fixtures.TINY_C).resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replaceAll("\"num_nextn_predict_layers\"\\s*:\\s*1",
                "\"num_nextn_predict_layers\": 0"));
        Path conf = dir.resolve("cluster.conf");
        Files.writeString(conf, """
                conclave {
                  seed-nodes = [head]
                  nodes {
                    head { host = "127.0.0.1", pekko-port = %d, roles = [orchestrator, attention, experts],
                           attention-layers = "all", experts = [ { layers = "all", experts = "all" } ] }
                  }
                }
                """.formatted(Ports.freeTcp()));
        CliRun run = CliRun.of("serve", "--cluster", conf.toString(), "--model", model.toString(), "--mtp", "1");
        assertTrue(run.exitCode() != 0, run.out());
        assertTrue(run.err().contains("the MTP layer (layer mtp, index 3), which the placement " + conf + " does not host")
                && run.err().contains("num_nextn_predict_layers 0"), run.err());
    }

    @Test
    void aClusterWithoutTheModelDirectoryIsRefusedWithTheReason() throws Exception {
        CliRun run = CliRun.of("serve", "--cluster", dir.resolve("cluster.conf").toString());
        assertTrue(run.exitCode() != 0, run.out());
        assertTrue(run.err().contains("--cluster needs --model DIR"), run.err());
    }
}
