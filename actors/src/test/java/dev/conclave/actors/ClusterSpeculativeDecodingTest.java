package dev.conclave.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Ports;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.MtpStats;
import dev.conclave.model.Sampler;
import dev.conclave.model.SelfDraftingCheckpoint;
import dev.conclave.model.serving.Collector;
import dev.conclave.model.serving.ContinuousBatchingEngine;
import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenListener;
import dev.conclave.placement.Placement;
import dev.conclave.placement.PlacementLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Speculative decoding through a cluster in this JVM: a head (orchestrator and every layer's attention, the
 * MTP layer's included) and two expert nodes splitting every MoE layer's routed experts, the MTP layer's
 * too, over the Aeron data plane. The serving engine drafts over {@link ClusterStepPipeline} exactly as over
 * the in-process pipeline, on a model whose drafts are often right, so that requests in one step accept
 * different numbers of tokens and every step rolls some caches back on every stage.
 */
class ClusterSpeculativeDecodingTest {

    private static int[] prompt(int seed, int length) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 131 + i * 37) % 95 + 1;
        }
        return p;
    }

    /** Node names of their own: each names its media driver's directory, which other tests' nodes must not share. */
    private static Placement placement() {
        String conf = """
                conclave {
                  seed-nodes = [mtp-head]
                  data-plane { send-timeout = 2 s, step-timeout = 10 s }
                  nodes {
                    mtp-head { host = "127.0.0.1", pekko-port = %d, roles = [orchestrator, attention],
                           attention-layers = "all", aeron-endpoint = "127.0.0.1:%d" }
                    mtp-experts-a { host = "127.0.0.1", pekko-port = %d, roles = [experts],
                                experts = [ { layers = "all", experts = "1/2" } ], aeron-endpoint = "127.0.0.1:%d" }
                    mtp-experts-b { host = "127.0.0.1", pekko-port = %d, roles = [experts],
                                experts = [ { layers = "mtp", experts = "2/2" }, { layers = "0", experts = "2/2" } ],
                                aeron-endpoint = "127.0.0.1:%d" }
                  }
                }
                """.formatted(Ports.freeTcp(), Ports.freeUdp(), Ports.freeTcp(), Ports.freeUdp(), Ports.freeTcp(), Ports.freeUdp());
        return PlacementLoader.parse(conf, "speculative.conf");
    }

    private record Outcome(List<Collector> requests, MtpStats mtp) {
    }

    /** Submits every request at once to an engine with {@code drafts} over the cluster, and waits for them all. */
    private static Outcome run(ClusterClient client, Checkpoint c, int drafts, List<GenerationRequest> requests)
            throws Exception {
        return run(new ClusterStepPipeline(client, c.config(), Duration.ofSeconds(30)), drafts, requests, true);
    }

    private static Outcome run(ClusterStepPipeline pipeline, int drafts, List<GenerationRequest> requests, boolean finish)
            throws Exception {
        try (var engine = new ContinuousBatchingEngine(pipeline, new ContinuousBatchingEngine.Settings(1L << 30, 16, 16, drafts))) {
            List<Collector> collectors = new ArrayList<>();
            for (GenerationRequest r : requests) {
                Collector collector = new Collector();
                engine.submit(r, collector);
                collectors.add(collector);
            }
            for (Collector collector : collectors) {
                var reason = collector.await();
                if (finish) {
                    assertEquals(TokenListener.FinishReason.LENGTH, reason, collector.error);
                }
            }
            return new Outcome(collectors, engine.stats().mtp());
        }
    }

    @Test
    void draftsThroughTheClusterGiveThePlainGreedyOutputAndAreOftenAccepted(@TempDir Path dir) throws Exception {
        Path model = SelfDraftingCheckpoint.write(dir, 11);
        Placement placement = placement();
        List<GenerationRequest> greedy = new ArrayList<>();
        for (int r = 0; r < 6; r++) {
            greedy.add(new GenerationRequest(prompt(r, 2 + 3 * r), 16 + r, 0, 1, 0, 0, Set.of()));
        }
        List<GenerationRequest> sampled = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            sampled.add(new GenerationRequest(prompt(r + 20, 9), 20, 0.8, 0.95, 20, 100 + r, Set.of()));
        }
        try (ConclaveNode head = ConclaveNode.start(placement, "mtp-head", model);
             ConclaveNode a = ConclaveNode.start(placement, "mtp-experts-a", model);
             ConclaveNode b = ConclaveNode.start(placement, "mtp-experts-b", model);
             ClusterClient client = ClusterClient.connect(placement);
             Checkpoint c = Checkpoint.open(model);
             Parallel p = Parallel.create(2)) {
            InProcessPipeline reference = InProcessPipeline.load(c, p);

            Outcome plain = run(client, c, 0, greedy);
            Outcome drafted = run(client, c, 3, greedy);
            for (int r = 0; r < greedy.size(); r++) {
                GenerationRequest q = greedy.get(r);
                int[] lone = new Generator(reference).generate(q.prompt(), q.maxTokens(), Sampler.greedy(), Set.of(), t -> { });
                assertArrayEquals(lone, plain.requests().get(r).ids(), "request " + r + ": the cluster's plain steps");
                assertArrayEquals(lone, drafted.requests().get(r).ids(), "request " + r + ": the cluster's drafting steps");
            }
            assertNull(plain.mtp(), "no drafts, no MTP counters");
            MtpStats all = drafted.mtp();
            for (int d = 0; d < 3; d++) {
                assertTrue(all.accepted(d) > 0 && all.accepted(d) < all.proposed(d), "position " + d + ": " + all);
            }
            assertTrue(all.meanTokensPerStep() > 1.5, all.toString());

            // Answers too big for one control-plane frame go as several steps, with the same output; a lone
            // sequence whose answer cannot fit fails its request with the setting to change.
            long oneVerify = Float.BYTES * 4L * (reference.vocab() + c.config().hiddenSize());
            long onePrefill = Float.BYTES * (16L * c.config().hiddenSize() + reference.vocab());
            var split = new ClusterStepPipeline(client, c.config(), Duration.ofSeconds(30), Math.max(oneVerify, onePrefill) + 1);
            Outcome grouped = run(split, 3, greedy, true);
            for (int r = 0; r < greedy.size(); r++) {
                assertArrayEquals(drafted.requests().get(r).ids(), grouped.requests().get(r).ids(), "request " + r + " in groups");
            }
            var tooSmall = new ClusterStepPipeline(client, c.config(), Duration.ofSeconds(30), oneVerify / 8);
            Collector refused = run(tooSmall, 3, greedy.subList(0, 1), false).requests().get(0);
            assertTrue(String.valueOf(refused.error).contains("maximum-frame-size"), String.valueOf(refused.error));

            // Sampling with drafts is deterministic per seed: a lone speculative run in one JVM gives the same.
            Outcome samples = run(client, c, 2, sampled);
            for (int r = 0; r < sampled.size(); r++) {
                GenerationRequest q = sampled.get(r);
                int[] lone = new Generator(reference, 2).generate(q.prompt(), q.maxTokens(),
                        new Sampler(q.temperature(), q.topK(), q.topP(), q.seed()), Set.of(), t -> { });
                int[] ids = samples.requests().get(r).ids();
                assertEquals(q.maxTokens(), ids.length);
                assertTrue(Arrays.stream(ids).allMatch(t -> t >= 0 && t < reference.vocab()));
                assertArrayEquals(lone, ids, "sampled request " + r);
            }
        }
    }
}
