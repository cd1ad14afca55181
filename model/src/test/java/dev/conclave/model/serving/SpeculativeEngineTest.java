package dev.conclave.model.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.MtpStats;
import dev.conclave.model.Sampler;
import dev.conclave.model.SelfDraftingCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batching engine with MTP drafts, on a model whose drafts are often right, so that requests in one
 * step accept different numbers of tokens: every request must still get exactly its lone plain run.
 */
class SpeculativeEngineTest {

    private static Checkpoint checkpoint;
    private static Parallel parallel;
    private static InProcessPipeline reference;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() throws Exception {
        checkpoint = Checkpoint.open(SelfDraftingCheckpoint.write(tmp, 11));
        parallel = Parallel.create(2);
        reference = InProcessPipeline.load(checkpoint, parallel);
    }

    @AfterAll
    static void close() {
        parallel.close();
        checkpoint.close();
    }

    private static int[] prompt(int seed, int length) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 131 + i * 37) % 95 + 1;
        }
        return p;
    }

    private static ContinuousBatchingEngine engine(int drafts, int chunk) {
        return new ContinuousBatchingEngine(InProcessPipeline.load(checkpoint, Parallel.create(2)),
                new ContinuousBatchingEngine.Settings(1L << 30, 16, chunk, drafts));
    }

    @Test
    void manyConcurrentGreedyRequestsWithDraftsGetTheirLonePlainOutput() throws Exception {
        int requests = 12;
        try (var engine = engine(3, 16)) {
            List<Collector> collectors = new ArrayList<>();
            for (int r = 0; r < requests; r++) {
                Collector c = new Collector();
                engine.submit(new GenerationRequest(prompt(r, 2 + 3 * r), 20 + r, 0, 1, 0, 0, Set.of()), c);
                collectors.add(c);
            }
            for (int r = 0; r < requests; r++) {
                Collector c = collectors.get(r);
                assertEquals(TokenListener.FinishReason.LENGTH, c.await(), "request " + r + ": " + c.error);
                int[] plain = new Generator(reference).generate(prompt(r, 2 + 3 * r), 20 + r, Sampler.greedy(), Set.of(),
                        t -> { });
                assertArrayEquals(plain, c.ids(), "request " + r);
                assertEquals(20 + r, c.usage.completionTokens());
                assertNotNull(c.usage.mtp(), "usage carries the request's MTP counters");
                assertTrue(c.usage.mtp().steps() > 0 && c.usage.mtp().tokens() <= 20 + r - 1, c.usage.mtp().toString());
            }
            MtpStats all = engine.stats().mtp();
            for (int d = 0; d < 3; d++) {
                assertTrue(all.accepted(d) > 0 && all.accepted(d) < all.proposed(d), "position " + d + ": " + all);
            }
            assertTrue(all.meanTokensPerStep() > 1.5, all.toString());
        }
    }

    /** Sampling with drafts is deterministic per seed: the engine gives what a lone speculative run gives. */
    @Test
    void sampledRequestsWithDraftsMatchTheirLoneSpeculativeRun() throws Exception {
        try (var engine = engine(2, 64)) {
            List<Collector> collectors = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                Collector c = new Collector();
                engine.submit(new GenerationRequest(prompt(r + 20, 9), 24, 0.8, 0.95, 20, 100 + r, Set.of()), c);
                collectors.add(c);
            }
            for (int r = 0; r < 4; r++) {
                collectors.get(r).await();
                int[] alone = new Generator(reference, 2).generate(prompt(r + 20, 9), 24, new Sampler(0.8, 20, 0.95, 100 + r),
                        Set.of(), t -> { });
                assertArrayEquals(alone, collectors.get(r).ids(), "request " + r);
            }
        }
    }

    /** Stop ids inside an accepted run and budgets that end mid-run are honoured token-exactly. */
    @Test
    void stopIdsAndBudgetsEndExactlyWhenSeveralTokensAreAcceptedAtOnce() throws Exception {
        int[] prompt = prompt(3, 11);
        int[] plain = new Generator(reference).generate(prompt, 40, Sampler.greedy(), Set.of(), t -> { });
        try (var engine = engine(3, 64)) {
            for (int budget = 5; budget <= 9; budget++) {
                Collector c = new Collector();
                engine.submit(new GenerationRequest(prompt, budget, 0, 1, 0, 0, Set.of()), c);
                assertEquals(TokenListener.FinishReason.LENGTH, c.await());
                assertArrayEquals(Arrays.copyOf(plain, budget), c.ids(), "budget " + budget);
            }
            for (int at = 10; at < 16; at++) {
                int stop = plain[at];
                int first = Arrays.stream(plain).boxed().toList().indexOf(stop);
                Collector c = new Collector();
                engine.submit(new GenerationRequest(prompt, 40, 0, 1, 0, 0, Set.of(stop)), c);
                assertEquals(TokenListener.FinishReason.STOP, c.await());
                assertArrayEquals(Arrays.copyOf(plain, first + 1), c.ids(), "stop id " + stop);
            }
        }
    }

    /** A request whose budget reaches the end of the context never drafts past it. */
    @Test
    void draftsNeverReachPastTheContext() throws Exception {
        int context = checkpoint.config().maxPositionEmbeddings();
        int[] prompt = prompt(5, context - 12);
        int[] plain = new Generator(reference).generate(prompt, 100, Sampler.greedy(), Set.of(), t -> { });
        assertEquals(13, plain.length, "the context leaves 13 tokens");
        try (var engine = engine(4, 512)) {
            Collector c = new Collector();
            engine.submit(new GenerationRequest(prompt, 100, 0, 1, 0, 0, Set.of()), c);
            assertEquals(TokenListener.FinishReason.LENGTH, c.await(), c.error);
            assertArrayEquals(plain, c.ids());
        }
    }
}
