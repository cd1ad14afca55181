package dev.conclave.actors;

import static dev.conclave.core.testing.Numerics.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.model.DecoderLayer;
import dev.conclave.model.Embedding;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.LayerStack;
import dev.conclave.model.OutputHead;
import dev.conclave.model.RoutedExperts;
import dev.conclave.model.Sampler;
import dev.conclave.model.Sequence;
import dev.conclave.model.ShardExperts;
import dev.conclave.model.StageFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator and attention-stage actors, with the layers split over two stages, against the
 * in-process pipeline on the same checkpoint: the actor protocol must not change a single value.
 */
class ActorPipelineTest {

    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private record Running(Checkpoint checkpoint, Parallel parallel, ActorRef<Orchestrator.Command> orchestrator,
                           InProcessPipeline reference) {
    }

    private static Running start(String fixture) {
        Checkpoint c = Checkpoint.open(Fixtures.fixture(fixture));
        Parallel p = Parallel.create(2);
        StageFactory f = new StageFactory(c);
        RoutedExperts experts = new ShardExperts(f.shard((layer, expert) -> true));
        int layers = c.config().numHiddenLayers();
        int split = layers / 2;
        List<ActorRef<AttentionStage.Command>> stages = new ArrayList<>();
        for (int[] range : new int[][] {{0, split}, {split, layers}}) {
            List<DecoderLayer> owned = new ArrayList<>();
            for (int l = range[0]; l < range[1]; l++) {
                owned.add(f.decoderLayer(l, experts));
            }
            stages.add(KIT.spawn(AttentionStage.create("stage-" + range[0], new LayerStack(owned, p)),
                    "stage-" + fixture + "-" + range[0], DispatcherSelector.fromConfig("conclave.pinned-dispatcher")));
        }
        var settings = new Orchestrator.Settings(c.config().hiddenSize(), c.config().maxPositionEmbeddings(),
                c.config().eosTokenIds(), Duration.ofSeconds(10));
        var orchestrator = KIT.spawn(Orchestrator.create(stages, Embedding.load(f), OutputHead.load(f), p, settings),
                "orchestrator-" + fixture, DispatcherSelector.fromConfig("conclave.pinned-dispatcher"));
        return new Running(c, p, orchestrator, InProcessPipeline.load(c, Parallel.create(2)));
    }

    @Test
    void greedyTokensAndLogitsMatchTheInProcessPipeline() {
        for (String fixture : List.of(Fixtures.TINY_A, Fixtures.TINY_C)) {
            Running r = start(fixture);
            int[] prompt = {1, 5, 17, 300, 42, 7};
            TestProbe<Orchestrator.Result> probe = KIT.createTestProbe();

            r.orchestrator().tell(new Orchestrator.Generate(prompt, 12, 0, 1, 0, 0, true, probe.ref()));
            var generated = assertInstanceOf(Orchestrator.Generated.class, probe.receiveMessage(Duration.ofSeconds(30)));
            int[] expected = new Generator(r.reference()).generate(prompt, 12, Sampler.greedy(), Set.of(), t -> { });
            assertArrayEquals(expected, generated.ids(), fixture);

            r.orchestrator().tell(new Orchestrator.ComputeLogits(prompt, probe.ref()));
            var logits = assertInstanceOf(Orchestrator.Logits.class, probe.receiveMessage(Duration.ofSeconds(30)));
            Sequence seq = r.reference().newSequence();
            var ref = r.reference().step(List.of(seq), List.of(prompt), InProcessPipeline.Logits.ALL);
            assertEquals(ref.logits().length, logits.logits().length);
            double rel = relL2(logits.logits(), ref.logits());
            assertTrue(rel <= 1e-5, fixture + " rel-L2 " + rel);
            r.parallel().close();
        }
    }

    @Test
    void badRequestsFailWithAReasonAndTheOrchestratorKeepsServing() {
        Running r = start(Fixtures.TINY_B);
        TestProbe<Orchestrator.Result> probe = KIT.createTestProbe();
        r.orchestrator().tell(new Orchestrator.Generate(new int[] {1, 99999}, 4, 0, 1, 0, 0, true, probe.ref()));
        var failed = assertInstanceOf(Orchestrator.Failed.class, probe.receiveMessage(Duration.ofSeconds(30)));
        assertTrue(failed.reason().contains("99999"), failed.reason());
        r.orchestrator().tell(new Orchestrator.Generate(new int[0], 4, 0, 1, 0, 0, true, probe.ref()));
        assertInstanceOf(Orchestrator.Failed.class, probe.receiveMessage(Duration.ofSeconds(30)));
        r.orchestrator().tell(new Orchestrator.Generate(new int[] {1, 2}, 3, 0, 1, 0, 0, true, probe.ref()));
        var ok = assertInstanceOf(Orchestrator.Generated.class, probe.receiveMessage(Duration.ofSeconds(30)));
        assertEquals(3, ok.ids().length);
        r.parallel().close();
    }

    private static long open(Running r, TestProbe<Orchestrator.Result> probe) {
        r.orchestrator().tell(new Orchestrator.OpenSequence(probe.ref()));
        return assertInstanceOf(Orchestrator.SequenceOpened.class, probe.receiveMessage(Duration.ofSeconds(30))).sequenceId();
    }

    /** A scheduler's batched steps over opened sequences: each one's last-row logits, as the in-process pipeline's. */
    @Test
    void batchedStepsOverOpenedSequencesMatchTheInProcessPipeline() {
        Running r = start(Fixtures.TINY_D);
        TestProbe<Orchestrator.Result> probe = KIT.createTestProbe();
        long a = open(r, probe);
        long b = open(r, probe);
        Sequence refA = r.reference().newSequence();
        Sequence refB = r.reference().newSequence();
        int[][][] steps = {{{1, 5, 17, 300, 42, 7}, {11, 168, 205}}, {{9}, {282}}, {{2, 3}, {4}}};
        for (int[][] step : steps) {
            int[] tokens = Stream.of(step).flatMapToInt(Arrays::stream).toArray();
            r.orchestrator().tell(new Orchestrator.Step(new long[] {a, b}, new int[] {step[0].length, step[1].length}, tokens,
                    probe.ref()));
            Orchestrator.Result result = probe.receiveMessage(Duration.ofSeconds(30));
            var logits = assertInstanceOf(Orchestrator.Logits.class, result, result::toString);
            var ref = r.reference().step(List.of(refA, refB), List.of(step[0], step[1]), InProcessPipeline.Logits.LAST_PER_SEQUENCE);
            assertEquals(ref.logits().length, logits.logits().length);
            double rel = relL2(logits.logits(), ref.logits());
            assertTrue(rel <= 1e-5, "rel-L2 " + rel);
        }

        r.orchestrator().tell(new Orchestrator.Step(new long[] {a}, new int[] {2}, new int[] {1}, probe.ref()));
        var miscounted = assertInstanceOf(Orchestrator.Failed.class, probe.receiveMessage(Duration.ofSeconds(30)));
        assertTrue(miscounted.reason().contains("adding up"), miscounted.reason());
        r.orchestrator().tell(new Orchestrator.CloseSequence(b));
        r.orchestrator().tell(new Orchestrator.Step(new long[] {b}, new int[] {1}, new int[] {1}, probe.ref()));
        var closed = assertInstanceOf(Orchestrator.Failed.class, probe.receiveMessage(Duration.ofSeconds(30)));
        assertTrue(closed.reason().contains("sequence " + b + " is not open"), closed.reason());
        r.orchestrator().tell(new Orchestrator.Step(new long[] {a}, new int[] {1}, new int[] {1}, probe.ref()));
        assertInstanceOf(Orchestrator.Logits.class, probe.receiveMessage(Duration.ofSeconds(30)));
        r.parallel().close();
    }
}
