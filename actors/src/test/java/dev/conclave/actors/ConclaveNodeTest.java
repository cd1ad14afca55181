package dev.conclave.actors;

import static dev.conclave.core.testing.Numerics.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Whole nodes in this JVM: the shipped single-node placement, and a replicated expert placement. */
class ConclaveNodeTest {

    private static final int[] PROMPT = {1, 5, 17, 300, 42, 7};

    @Test
    void singleNodeActorPipelineMatchesTheInProcessPipeline() throws Exception {
        String conf = Files.readString(Path.of("..", "cluster-config", "single-node.conf"))
                .replace("25520", String.valueOf(Ports.freeTcp()));
        Placement placement = PlacementLoader.parse(conf, "single-node.conf");
        for (String fixture : List.of(Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C)) {
            try (ConclaveNode node = ConclaveNode.start(placement, "local", Fixtures.fixture(fixture));
                 ClusterClient client = ClusterClient.connect(placement);
                 Checkpoint c = Checkpoint.open(Fixtures.fixture(fixture));
                 Parallel p = Parallel.create(2)) {
                InProcessPipeline reference = InProcessPipeline.load(c, p);
                int[] expected = new Generator(reference).generate(PROMPT, 12, Sampler.greedy(), Set.of(), t -> { });
                var generated = assertInstanceOf(Orchestrator.Generated.class, client.ask(
                        r -> new Orchestrator.Generate(PROMPT, 12, 0, 1, 0, 0, true, r), Duration.ofSeconds(60)));
                assertArrayEquals(expected, generated.ids(), fixture);
                var logits = assertInstanceOf(Orchestrator.Logits.class,
                        client.ask(r -> new Orchestrator.ComputeLogits(PROMPT, r), Duration.ofSeconds(60)));
                float[] ref = reference.step(List.of(reference.newSequence()), List.of(PROMPT),
                        InProcessPipeline.Logits.ALL).logits();
                assertTrue(relL2(logits.logits(), ref) <= 1e-5, fixture + " rel-L2 " + relL2(logits.logits(), ref));
            }
        }
    }

    @Test
    void replicasKeepServingWhenAnExpertNodeLeaves() throws Exception {
        String conf = """
                conclave {
                  seed-nodes = [head]
                  data-plane { send-timeout = 1 s, step-timeout = 3 s }
                  nodes {
                    head { host = "127.0.0.1", pekko-port = %d, roles = [orchestrator, attention],
                           attention-layers = "all", aeron-endpoint = "127.0.0.1:%d" }
                    experts-a { host = "127.0.0.1", pekko-port = %d, roles = [experts],
                                experts = [ { layers = "all", experts = "all" } ], aeron-endpoint = "127.0.0.1:%d" }
                    experts-b { host = "127.0.0.1", pekko-port = %d, roles = [experts],
                                experts = [ { layers = "all", experts = "2/2" } ], aeron-endpoint = "127.0.0.1:%d" }
                  }
                }
                """.formatted(Ports.freeTcp(), Ports.freeUdp(), Ports.freeTcp(), Ports.freeUdp(), Ports.freeTcp(), Ports.freeUdp());
        Placement placement = PlacementLoader.parse(conf, "replicated.conf");
        Path model = Fixtures.fixture(Fixtures.TINY_A);
        try (ConclaveNode head = ConclaveNode.start(placement, "head", model);
             ConclaveNode a = ConclaveNode.start(placement, "experts-a", model);
             ClusterClient client = ClusterClient.connect(placement)) {
            ConclaveNode b = ConclaveNode.start(placement, "experts-b", model);
            int[] before = generate(client, Duration.ofSeconds(60));
            b.close();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int[] after = null;
            while (after == null && System.nanoTime() < deadline) {
                Orchestrator.Result r = client.ask(x -> new Orchestrator.Generate(PROMPT, 8, 0, 1, 0, 0, true, x),
                        Duration.ofSeconds(30));
                if (r instanceof Orchestrator.Generated g) {
                    after = g.ids();
                }
            }
            assertArrayEquals(before, after, "the replica on experts-a serves experts-b's half");
        }
    }

    private static int[] generate(ClusterClient client, Duration timeout) {
        return assertInstanceOf(Orchestrator.Generated.class,
                client.ask(r -> new Orchestrator.Generate(PROMPT, 8, 0, 1, 0, 0, true, r), timeout)).ids();
    }



}
