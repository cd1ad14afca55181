package dev.conclave.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.attention.KvCache;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MTP speculative decoding on the golden fixtures (every one has an MTP layer): greedy output is the plain
 * greedy output, and after rejections both caches hold what a non-speculative run computes.
 */
class SpeculativeDecodingTest {

    private static Parallel parallel;
    private static final Map<String, Checkpoint> CHECKPOINTS = new ConcurrentHashMap<>();
    private static final Map<String, InProcessPipeline> PIPELINES = new ConcurrentHashMap<>();

    @BeforeAll
    static void startThreads() {
        parallel = Parallel.create(2);
    }

    @AfterAll
    static void closeAll() {
        CHECKPOINTS.values().forEach(Checkpoint::close);
        parallel.close();
    }

    private static InProcessPipeline pipeline(String fixture) {
        return PIPELINES.computeIfAbsent(fixture, name -> {
            Checkpoint c = CHECKPOINTS.computeIfAbsent(name, n -> Checkpoint.open(Fixtures.fixture(n)));
            return InProcessPipeline.load(c, parallel);
        });
    }

    private static int[] prompt(int seed, int length, int vocab) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 131 + i * 37) % (vocab - 1) + 1;
        }
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void greedyWithMtpDraftsIsPlainGreedy(String fixture) {
        InProcessPipeline p = pipeline(fixture);
        for (int seed = 1; seed <= 2; seed++) {
            int[] prompt = prompt(seed, 5 + 4 * seed, p.vocab());
            int[] plain = new Generator(p).generate(prompt, 24, Sampler.greedy(), Set.of(), t -> { });
            for (int drafts = 1; drafts <= 3; drafts++) {
                Generator g = new Generator(p, drafts);
                List<Integer> seen = new ArrayList<>();
                int[] speculative = g.generate(prompt, 24, Sampler.greedy(), Set.of(), seen::add);
                assertArrayEquals(plain, speculative, fixture + " seed " + seed + " with " + drafts + " drafts");
                assertEquals(Arrays.stream(speculative).boxed().toList(), seen);
                MtpStats s = g.lastStats();
                assertTrue(s.proposed(0) > 0, "drafts were verified");
                assertTrue(s.tokens() <= 24 - 1, "verification steps emit only tokens after the first");
            }
        }
    }

    // --- a model whose MTP layer drafts well: drafts accepted and rejected ------------------------------------

    private static InProcessPipeline selfDrafting;

    @TempDir
    static Path tmp;

    private static InProcessPipeline selfDrafting() throws IOException {
        if (selfDrafting == null) {
            Path dir = SelfDraftingCheckpoint.write(tmp, 11);
            Checkpoint c = Checkpoint.open(dir);
            CHECKPOINTS.put("self-drafting", c);
            selfDrafting = InProcessPipeline.load(c, parallel);
        }
        return selfDrafting;
    }

    /** Here drafts are often right: the accepted runs of 1..N+1 tokens must still give the plain output. */
    @Test
    void greedyWithMtpDraftsIsPlainGreedyWhenDraftsAreAcceptedToo() throws Exception {
        InProcessPipeline p = selfDrafting();
        MtpStats all = new MtpStats(4);
        for (int seed = 1; seed <= 4; seed++) {
            int[] prompt = prompt(seed, 3 + 5 * seed, p.vocab());
            int[] plain = new Generator(p).generate(prompt, 48, Sampler.greedy(), Set.of(), t -> { });
            for (int drafts = 1; drafts <= 4; drafts++) {
                Generator g = new Generator(p, drafts);
                int[] speculative = g.generate(prompt, 48, Sampler.greedy(), Set.of(), t -> { });
                assertArrayEquals(plain, speculative, "seed " + seed + " with " + drafts + " drafts");
                all.add(g.lastStats());
            }
        }
        for (int d = 0; d < 4; d++) {
            assertTrue(all.accepted(d) > 0 && all.accepted(d) < all.proposed(d), "draft position " + d + ": " + all);
        }
    }

    /** A stop id inside an accepted run ends the output right after it, as without drafts. */
    @Test
    void aStopIdInsideAnAcceptedRunEndsTheOutputThere() throws Exception {
        InProcessPipeline p = selfDrafting();
        int[] prompt = prompt(1, 8, p.vocab());
        int[] plain = new Generator(p).generate(prompt, 48, Sampler.greedy(), Set.of(), t -> { });
        int stop = plain[12];
        int first = Arrays.stream(plain).boxed().toList().indexOf(stop);
        List<Integer> seen = new ArrayList<>();
        int[] stopped = new Generator(p, 3).generate(prompt, 48, Sampler.greedy(), Set.of(stop), seen::add);
        assertArrayEquals(Arrays.copyOf(plain, first + 1), stopped);
        assertEquals(first + 1, seen.size(), "no token after the stop id reaches the listener");
    }

    /**
     * After every verification step, accepted or not, the main caches equal those of one plain prefill over
     * the tokens kept so far, and the MTP cache equals the MTP layer run over that history (h_i paired with
     * t_{i+1}, the pending token last), followed only by the chained rows of the drafts now pending.
     */
    @Test
    void rejectedDraftsLeaveBothCachesAsANonSpeculativeRunHasThem() throws Exception {
        InProcessPipeline p = selfDrafting();
        DecodeStep step = new DecodeStep(p, 3);
        DecodeStep.Lane lane = step.lane(prompt(3, 18, p.vocab()), Sampler.greedy(), 60);
        step.run(List.of(lane), new int[] {18});
        int partial = 0;
        int full = 0;
        while (lane.remaining() > 0) {
            long acceptedBefore = lane.stats().tokens() - lane.stats().steps();
            step.run(List.of(lane), new int[] {0});
            int emitted = lane.emitted().length;
            long acceptedNow = lane.stats().tokens() - lane.stats().steps() - acceptedBefore;
            if (emitted > 1 && emitted < 4) {
                partial++;
            } else if (emitted == 4) {
                full++;
            }
            assertEquals(Math.max(0, emitted - 1), acceptedNow);
            assertCachesMatchAPlainRun(p, lane);
        }
        assertTrue(partial > 0, "some step accepted part of its drafts");
        assertTrue(full > 0, "some step accepted all of its drafts");
        assertTrue(lane.stats().accepted(0) < lane.stats().proposed(0), "some first draft was rejected");
    }

    private static void assertCachesMatchAPlainRun(InProcessPipeline p, DecodeStep.Lane lane) {
        Sequence seq = (Sequence) lane.sequence();
        int[] history = seq.tokens();
        int pending = lane.emitted()[lane.emitted().length - 1];
        Sequence plain = p.newSequence();
        InProcessPipeline.StepOutput out = p.step(List.of(plain), List.of(history), InProcessPipeline.Logits.NONE);
        int[] following = Arrays.copyOf(Arrays.copyOfRange(history, 1, history.length), history.length);
        following[history.length - 1] = pending;
        p.mtpDraft(plain, out, following);

        assertEquals(plain.length(), seq.length());
        for (int l = 0; l < seq.caches().length; l++) {
            assertSameRows(plain.caches()[l], seq.caches()[l], seq.length(), "layer " + l);
        }
        int drafts = Math.min(3, lane.remaining() - 1);
        if (drafts > 0) {
            assertEquals(history.length + drafts - 1, seq.mtp().length(), "MTP cache: history plus chained draft rows");
            assertSameRows(plain.mtp(), seq.mtp(), history.length, "MTP layer");
        } else {
            // No draft is left to make: the MTP layer no longer runs, its cache stops at the last verified start.
            assertTrue(seq.mtp().length() < history.length);
            assertSameRows(plain.mtp(), seq.mtp(), seq.mtp().length(), "MTP layer");
        }
    }

    /** Prefill and decode run the same float32 math per row; only the order of sums may differ. */
    private static void assertSameRows(KvCache expected, KvCache actual, int positions, String what) {
        double scale = 0;
        double worst = 0;
        for (int pos = 0; pos < positions; pos++) {
            for (int i = 0; i < expected.width(); i++) {
                scale = Math.max(scale, Math.abs(expected.keyAt(pos, i)) + Math.abs(expected.valueAt(pos, i)));
                worst = Math.max(worst, Math.abs(expected.keyAt(pos, i) - actual.keyAt(pos, i)));
                worst = Math.max(worst, Math.abs(expected.valueAt(pos, i) - actual.valueAt(pos, i)));
            }
        }
        assertTrue(worst <= 1e-5 * scale, what + ": KV rows differ by " + worst + " (scale " + scale + ")");
    }
}
