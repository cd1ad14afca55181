package dev.conclave.model.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Batching must not change any request's tokens: every result is checked against a lone run. */
class ContinuousBatchingEngineTest {

    private static Checkpoint checkpoint;
    private static Parallel parallel;
    private static InProcessPipeline reference;

    @BeforeAll
    static void load() {
        checkpoint = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_C));
        parallel = Parallel.create(2);
        reference = InProcessPipeline.load(checkpoint, parallel);
    }

    @AfterAll
    static void close() {
        parallel.close();
        checkpoint.close();
    }

    private static int[] alone(int[] prompt, int max, Sampler sampler) {
        return new Generator(reference).generate(prompt, max, sampler, Set.of(), t -> { });
    }

    private static ContinuousBatchingEngine engine(long budget, int maxSequences, int chunk) {
        Parallel p = Parallel.create(2);
        return new ContinuousBatchingEngine(InProcessPipeline.load(checkpoint, p),
                new ContinuousBatchingEngine.Settings(budget, maxSequences, chunk));
    }

    private static int[] prompt(int seed, int length) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 131 + i * 37) % 600 + 1;
        }
        return p;
    }

    @Test
    void concurrentRequestsWithChunkedPrefillGiveTheirLoneResults() throws Exception {
        try (var engine = engine(1L << 30, 8, 7)) {
            List<int[]> prompts = List.of(prompt(1, 30), prompt(2, 3), prompt(3, 17), prompt(4, 1));
            List<Collector> collectors = new ArrayList<>();
            for (int[] p : prompts) {
                Collector c = new Collector();
                engine.submit(new GenerationRequest(p, 12, 0, 1, 0, 0, Set.of()), c);
                collectors.add(c);
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(TokenListener.FinishReason.LENGTH, collectors.get(i).await());
                assertArrayEquals(alone(prompts.get(i), 12, Sampler.greedy()), collectors.get(i).ids(), "request " + i);
                assertEquals(prompts.get(i).length, collectors.get(i).usage.promptTokens());
                assertEquals(12, collectors.get(i).usage.completionTokens());
            }
        }
    }

    @Test
    void aRequestJoiningMidFlightAndSampledRequestsMatchTheirLoneRuns() throws Exception {
        try (var engine = engine(1L << 30, 8, 64)) {
            Collector first = new Collector();
            engine.submit(new GenerationRequest(prompt(5, 20), 40, 0, 1, 0, 0, Set.of()), first);
            while (first.tokens.size() < 5) {
                Thread.onSpinWait();
            }
            Collector joined = new Collector();
            engine.submit(new GenerationRequest(prompt(6, 9), 10, 0.9, 0.95, 40, 77, Set.of()), joined);
            first.await();
            joined.await();
            assertArrayEquals(alone(prompt(5, 20), 40, Sampler.greedy()), first.ids());
            assertArrayEquals(alone(prompt(6, 9), 10, new Sampler(0.9, 40, 0.95, 77)), joined.ids());
        }
    }

    @Test
    void stopIdsEndARequestWithStop() throws Exception {
        int[] expected = alone(prompt(7, 8), 16, Sampler.greedy());
        try (var engine = engine(1L << 30, 4, 32)) {
            Collector c = new Collector();
            engine.submit(new GenerationRequest(prompt(7, 8), 16, 0, 1, 0, 0, Set.of(expected[2])), c);
            assertEquals(TokenListener.FinishReason.STOP, c.await());
            int stopAt = 0;
            while (expected[stopAt] != expected[2]) {
                stopAt++;
            }
            assertArrayEquals(java.util.Arrays.copyOf(expected, stopAt + 1), c.ids());
        }
    }

    @Test
    void cancellingOneRequestLeavesTheOthersRunning() throws Exception {
        try (var engine = engine(1L << 30, 4, 32)) {
            Collector cancelled = new Collector();
            var handle = engine.submit(new GenerationRequest(prompt(8, 10), 3000, 0, 1, 0, 0, Set.of()), cancelled);
            Collector other = new Collector();
            engine.submit(new GenerationRequest(prompt(9, 10), 20, 0, 1, 0, 0, Set.of()), other);
            while (cancelled.tokens.size() < 3) {
                Thread.onSpinWait();
            }
            handle.cancel();
            assertEquals(TokenListener.FinishReason.CANCELLED, cancelled.await());
            assertEquals(TokenListener.FinishReason.LENGTH, other.await());
            assertArrayEquals(alone(prompt(9, 10), 20, Sampler.greedy()), other.ids());
        }
    }

    @Test
    void admissionRefusesWhatCanNeverFitAndQueuesWhatFitsLater() throws Exception {
        var c = checkpoint.config();
        long perToken = 2L * (c.numHiddenLayers() + 1) * c.kvWidth() * Float.BYTES;
        try (var engine = engine(perToken * 40, 4, 64)) {
            Collector tooBig = new Collector();
            engine.submit(new GenerationRequest(prompt(1, 30), 20, 0, 1, 0, 0, Set.of()), tooBig);
            assertNull(tooBig.await());
            assertTrue(tooBig.error.contains("KV cache"), tooBig.error);

            Collector a = new Collector();
            Collector b = new Collector();
            engine.submit(new GenerationRequest(prompt(2, 20), 10, 0, 1, 0, 0, Set.of()), a);
            engine.submit(new GenerationRequest(prompt(3, 20), 10, 0, 1, 0, 0, Set.of()), b);
            assertEquals(TokenListener.FinishReason.LENGTH, a.await());
            assertEquals(TokenListener.FinishReason.LENGTH, b.await(), "the second waits for the first's cache, then runs");
            assertArrayEquals(alone(prompt(3, 20), 10, Sampler.greedy()), b.ids());

            Collector tooLong = new Collector();
            engine.submit(new GenerationRequest(new int[c.maxPositionEmbeddings()], 1, 0, 1, 0, 0, Set.of()), tooLong);
            tooLong.await();
            assertNotNull(tooLong.error);
            assertTrue(tooLong.error.contains("context"), tooLong.error);

            Collector badSampling = new Collector();
            engine.submit(new GenerationRequest(prompt(4, 3), 2, -1, 1, 0, 0, Set.of()), badSampling);
            badSampling.await();
            assertTrue(badSampling.error.contains("temperature"), badSampling.error);
        }
    }
}
