package dev.conclave.cli;

import static dev.conclave.core.testing.Numerics.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.actors.ClusterClient;
import dev.conclave.actors.NodeAgent;
import dev.conclave.actors.Orchestrator;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.core.testing.Ports;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import dev.conclave.placement.Placement;
import dev.conclave.placement.PlacementLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real JVMs started with {@code conclave node} from the shipped {@code local-3-node.conf} (ports
 * moved to free ones): a head with the orchestrator and every attention layer, two expert nodes splitting
 * the experts. Results must match the in-process pipeline; a killed expert node must fail the request in
 * flight within 5 s, naming the lost experts; a restarted node must rejoin and serve.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterEndToEndTest {

    private static final String MODEL = Fixtures.TINY_C;
    private static final int[] PROMPT = {11, 168, 325, 482, 7, 99};

    @TempDir
    static Path dir;

    private static Path config;
    private static final Map<String, Process> NODES = new LinkedHashMap<>();
    private static ClusterClient client;

    @BeforeAll
    static void startCluster() throws Exception {
        String conf = Files.readString(Path.of("..", "cluster-config", "local-3-node.conf"));
        for (int port : new int[] {25520, 25521, 25522}) {
            conf = conf.replace(String.valueOf(port), String.valueOf(Ports.freeTcp()));
        }
        for (int port : new int[] {40120, 40121, 40122}) {
            conf = conf.replace(String.valueOf(port), String.valueOf(Ports.freeUdp()));
        }
        config = dir.resolve("local-3-node.conf");
        Files.writeString(config, conf);
        for (String node : List.of("head", "experts-a", "experts-b")) {
            NODES.put(node, startNode(node));
        }
        client = ClusterClient.connect(placement());
        awaitHealth(Set.of("head", "experts-a", "experts-b"), Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopCluster() {
        if (client != null) {
            client.close();
        }
        NODES.values().forEach(Process::destroy);
        for (Process p : NODES.values()) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    @Order(1)
    void threeJvmsGiveTheInProcessGreedyTokensAndLogits() {
        try (Checkpoint c = Checkpoint.open(Fixtures.fixture(MODEL)); Parallel p = Parallel.create(2)) {
            InProcessPipeline reference = InProcessPipeline.load(c, p);
            int[] expected = new Generator(reference).generate(PROMPT, 16, Sampler.greedy(), Set.of(), t -> { });
            var generated = assertInstanceOf(Orchestrator.Generated.class, client.ask(
                    r -> new Orchestrator.Generate(PROMPT, 16, 0, 1, 0, 0, true, r), Duration.ofSeconds(60)));
            assertArrayEquals(expected, generated.ids());

            var logits = assertInstanceOf(Orchestrator.Logits.class, client.ask(
                    r -> new Orchestrator.ComputeLogits(PROMPT, r), Duration.ofSeconds(60)));
            float[] ref = reference.step(List.of(reference.newSequence()), List.of(PROMPT), InProcessPipeline.Logits.ALL)
                    .logits();
            assertTrue(relL2(logits.logits(), ref) <= 1e-5, "rel-L2 " + relL2(logits.logits(), ref));
        }
        CliRun cli = CliRun.of("generate", "--cluster", config.toString(), "--prompt-ids", "11,168,325", "--max-tokens", "4",
                "--ignore-eos", "--json");
        assertEquals(0, cli.exitCode(), cli.err());
        assertTrue(cli.out().contains("\"ids\""), cli.out());
        CliRun status = CliRun.of("status", "--cluster", config.toString());
        assertEquals(0, status.exitCode(), status.err());
        assertTrue(status.out().contains("experts-b") && status.out().contains("up"), status.out());
    }

    @Test
    @Order(2)
    void killingAnExpertNodeFailsTheRequestInFlightWithinFiveSecondsNamingItsExperts() throws Exception {
        CompletableFuture<Orchestrator.Result> longRequest = CompletableFuture.supplyAsync(() -> client.ask(
                r -> new Orchestrator.Generate(PROMPT, 3000, 0, 1, 0, 0, true, r), Duration.ofSeconds(120)));
        Thread.sleep(1500);
        assertTrue(!longRequest.isDone(), "the request should still be running when the node is killed");
        NODES.get("experts-b").destroyForcibly();
        long killed = System.nanoTime();
        Orchestrator.Result result = longRequest.get(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - killed) / 1e9;
        var failed = assertInstanceOf(Orchestrator.Failed.class, result);
        assertTrue(seconds <= 5.0, "failed after " + seconds + " s");
        assertTrue(failed.reason().contains("experts-b") && failed.reason().contains("experts"), failed.reason());

        // No replica covers experts-b's half: later requests fail too, with a clear reason, and do not hang.
        var next = client.ask(r -> new Orchestrator.Generate(PROMPT, 2, 0, 1, 0, 0, true, r), Duration.ofSeconds(30));
        assertTrue(assertInstanceOf(Orchestrator.Failed.class, next).reason().contains("experts"));
    }

    @Test
    @Order(3)
    void aRestartedExpertNodeRejoinsAndServes() throws Exception {
        NODES.put("experts-b", startNode("experts-b"));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Orchestrator.Result last = null;
        while (System.nanoTime() < deadline) {
            last = client.ask(r -> new Orchestrator.Generate(PROMPT, 4, 0, 1, 0, 0, true, r), Duration.ofSeconds(30));
            if (last instanceof Orchestrator.Generated) {
                break;
            }
            Thread.sleep(1000);
        }
        assertInstanceOf(Orchestrator.Generated.class, last, String.valueOf(last));
    }

    private static Process startNode(String name) throws IOException {
        return NodeProcess.start(config, name, Fixtures.fixture(MODEL), dir.resolve(name + ".log"));
    }

    private static void awaitHealth(Set<String> nodes, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen = "";
        while (System.nanoTime() < deadline) {
            try {
                NodeAgent.ClusterStatus s = client.status(Duration.ofSeconds(5));
                seen = s.nodes().toString();
                // Up in the membership, and each expert group found through the receptionist.
                if (s.nodes().stream().filter(n -> nodes.contains(n.node()))
                        .allMatch(n -> n.health().equals("up") && !Boolean.FALSE.equals(n.expertsServing()))) {
                    return;
                }
            } catch (IllegalStateException notYet) {
                seen = notYet.getMessage();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("cluster not up within " + timeout + ": " + seen + "\n" + logs());
    }

    private static String logs() {
        StringBuilder b = new StringBuilder();
        for (String n : NODES.keySet()) {
            try {
                b.append("== ").append(n).append('\n').append(Files.readString(dir.resolve(n + ".log")));
            } catch (IOException e) {
                b.append("(no log for ").append(n).append(")\n");
            }
        }
        return b.toString();
    }

    private static Placement placement() {
        return PlacementLoader.load(config);
    }



}
