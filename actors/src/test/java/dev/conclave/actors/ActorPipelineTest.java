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
import dev.conclave.model.MtpLayer;
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
import java.util.concurrent.atomic.AtomicInteger;
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

    private static final AtomicInteger STARTED = new AtomicInteger();

    private static Running start(String fixture) {
        String name = fixture + "-" + STARTED.incrementAndGet();
        Checkpoint c = Checkpoint.open(Fixtures.fixture(fixture));
        Parallel p = Parallel.create(2);
        StageFactory f = new StageFactory(c);
        RoutedExperts experts = new ShardExperts(f.shard((layer, expert) -> true));
        int layers = c.config().numHiddenLayers();
        int split = layers / 2;
        List<ActorRef<AttentionStage.Command>> stages = new ArrayList<>();
        // The second stage also hosts the MTP layer's block.
        int mtpLayer = c.config().mtpLayerIndex();
        for (int[] range : new int[][] {{0, split}, {split, layers}}) {
            List<DecoderLayer> owned = new ArrayList<>();
            for (int l = range[0]; l < range[1]; l++) {
                owned.add(f.decoderLayer(l, experts));
            }
            LayerStack mtp = range[1] == layers ? new LayerStack(List.of(f.decoderLayer(mtpLayer, experts)), p) : null;
            stages.add(KIT.spawn(AttentionStage.create("stage-" + range[0], new LayerStack(owned, p), mtp),
                    "stage-" + name + "-" + range[0], DispatcherSelector.fromConfig("conclave.pinned-dispatcher")));
        }
        var settings = new Orchestrator.Settings(c.config().hiddenSize(), c.config().maxPositionEmbeddings(),
                c.config().eosTokenIds(), Duration.ofSeconds(10));
        Embedding embedding = Embedding.load(f);
        OutputHead output = OutputHead.load(f);
        var mtp = new Orchestrator.Mtp(MtpLayer.load(c, embedding, output), stages.getLast());
        var orchestrator = KIT.spawn(Orchestrator.create(stages, embedding, output, mtp, p, settings),
                "orchestrator-" + name, DispatcherSelector.fromConfig("conclave.pinned-dispatcher"));
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

    /** A step over opened sequences, answered with its logits (and hidden states when asked). */
    private static Orchestrator.Stepped step(Running r, TestProbe<Orchestrator.Result> probe, long[] ids, int[] positions,
                                             int[][] tokens, int[] logitRows) {
        int[] counts = Stream.of(tokens).mapToInt(t -> t.length).toArray();
        int[] flat = Stream.of(tokens).flatMapToInt(Arrays::stream).toArray();
        r.orchestrator().tell(new Orchestrator.Step(ids, positions, counts, flat, logitRows, true, probe.ref()));
        Orchestrator.Result result = probe.receiveMessage(Duration.ofSeconds(30));
        return assertInstanceOf(Orchestrator.Stepped.class, result, result::toString);
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double rel = relL2(actual, expected);
        assertTrue(rel <= 1e-5, what + " rel-L2 " + rel);
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
            var stepped = step(r, probe, new long[] {a, b}, new int[] {refA.length(), refB.length()}, step, new int[] {1, 1});
            var ref = r.reference().step(List.of(refA, refB), List.of(step[0], step[1]), InProcessPipeline.Logits.LAST_PER_SEQUENCE);
            assertClose(ref.logits(), stepped.logits(), "logits");
            assertClose(ref.hidden(), stepped.hidden(), "hidden states");
        }

        r.orchestrator().tell(new Orchestrator.Step(new long[] {a}, new int[] {refA.length()}, new int[] {2}, new int[] {1},
                new int[] {1}, false, probe.ref()));
        var miscounted = assertInstanceOf(Orchestrator.Failed.class, probe.receiveMessage(Duration.ofSeconds(30)));
        assertTrue(miscounted.reason().contains("adding up"), miscounted.reason());
        r.orchestrator().tell(new Orchestrator.Step(new long[] {a}, new int[] {refA.length() + 1}, new int[] {1},
                new int[] {1}, new int[] {1}, false, probe.ref()));
        var ahead = assertInstanceOf(Orchestrator.Failed.class, probe.receiveMessage(Duration.ofSeconds(30)));
        assertTrue(ahead.reason().contains("cannot start at position " + (refA.length() + 1)), ahead.reason());
        r.orchestrator().tell(new Orchestrator.CloseSequence(b));
        r.orchestrator().tell(new Orchestrator.Step(new long[] {b}, new int[] {refB.length()}, new int[] {1}, new int[] {1},
                new int[] {1}, false, probe.ref()));
        var closed = assertInstanceOf(Orchestrator.Failed.class, probe.receiveMessage(Duration.ofSeconds(30)));
        assertTrue(closed.reason().contains("sequence " + b + " is not open"), closed.reason());
        var plain = step(r, probe, new long[] {a}, new int[] {refA.length()}, new int[][] {{1}}, new int[] {1});
        assertEquals(0, step(r, probe, new long[] {a}, new int[] {refA.length() + 1}, new int[][] {{1}}, new int[] {0})
                .logits().length, "no logit rows asked, none sent");
        assertTrue(plain.logits().length > 0);
        r.parallel().close();
    }

    /**
     * What a speculative step does, through the actors: verify drafts with logits on every row, roll both
     * caches back past a rejection, run the MTP layer over kept rows and chain on its normed output. Every
     * answer must be the in-process pipeline's after the same calls; a stage whose cache had kept a
     * rejected row would fail the next step (its cache length would not be the step's start position).
     */
    @Test
    void verifyRollbackAndMtpStepsMatchTheInProcessPipeline() {
        Running r = start(Fixtures.TINY_A);
        TestProbe<Orchestrator.Result> probe = KIT.createTestProbe();
        InProcessPipeline ref = r.reference();
        long[] ids = {open(r, probe), open(r, probe)};
        List<Sequence> refs = List.of(ref.newSequence(), ref.newSequence());
        int hidden = ref.config().hiddenSize();
        int[][] prompts = {{1, 5, 17, 300, 42, 7}, {11, 168, 205}};
        int[] mtpLengths = new int[2];
        for (int round = 0; round < 3; round++) {
            int[][] feed = round == 0 ? prompts : new int[][] {{9 + round, 40, 41, 42}, {282, 7 + round}};
            int[] starts = {refs.get(0).length(), refs.get(1).length()};
            int[] logitRows = {feed[0].length, feed[1].length};
            var stepped = step(r, probe, ids, starts, feed, logitRows);
            var expected = ref.step(refs, List.of(feed), logitRows, true);
            assertClose(expected.logits(), stepped.logits(), "round " + round + " verify logits");
            assertClose(expected.hidden(), stepped.hidden(), "round " + round + " hidden states");

            // Keep a prefix of each sequence's rows, as an acceptance would, and roll back the rest.
            int[] keep = {Math.max(1, feed[0].length - 2), feed[1].length};
            int[] counts = keep.clone();
            int rows = keep[0] + keep[1];
            float[] h = new float[rows * hidden];
            System.arraycopy(stepped.hidden(), 0, h, 0, keep[0] * hidden);
            System.arraycopy(stepped.hidden(), feed[0].length * hidden, h, keep[0] * hidden, keep[1] * hidden);
            int[] next = new int[rows];
            for (int i = 0; i < rows; i++) {
                next[i] = (31 * i + 7 * round + 3) % ref.vocab();
            }
            int[] positions = {starts[0], starts[1]};
            for (int s = 0; s < 2; s++) {
                ref.truncate(refs.get(s), starts[s] + keep[s], starts[s]);
                mtpLengths[s] = starts[s];
            }
            int[] selected = {keep[0] - 1, rows - 1};
            r.orchestrator().tell(new Orchestrator.MtpStep(ids, positions, counts, h, next, selected, probe.ref()));
            Orchestrator.Result result = probe.receiveMessage(Duration.ofSeconds(30));
            var drafted = assertInstanceOf(Orchestrator.Drafted.class, result, result::toString);
            var draft = ref.mtp(refs, counts, h, next, selected);
            assertClose(draft.logits(), drafted.logits(), "round " + round + " draft logits");
            assertClose(draft.normed(), drafted.normed(), "round " + round + " normed MTP outputs");

            // A chained draft for the first sequence, on the MTP layer's own output.
            int chainAt = mtpLengths[0] + keep[0];
            float[] chainH = Arrays.copyOf(drafted.normed(), hidden);
            r.orchestrator().tell(new Orchestrator.MtpStep(new long[] {ids[0]}, new int[] {chainAt}, new int[] {1}, chainH,
                    new int[] {5}, new int[] {0}, probe.ref()));
            result = probe.receiveMessage(Duration.ofSeconds(30));
            var chained = assertInstanceOf(Orchestrator.Drafted.class, result, result::toString);
            var refChained = ref.mtp(List.of(refs.get(0)), new int[] {1}, Arrays.copyOf(draft.normed(), hidden), new int[] {5},
                    new int[] {0});
            assertClose(refChained.logits(), chained.logits(), "round " + round + " chained draft logits");
        }
        r.parallel().close();
    }
}
