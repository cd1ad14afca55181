package dev.conclave.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.StepPipeline;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A pipeline whose sequences live elsewhere (a cluster) can fail to open one, and must get every opened one
 * back: the failing request gets an error, the engine keeps serving, and closing it releases what runs.
 */
class StepPipelineFailureTest {

    /** The fixture's pipeline, refusing to open sequences while {@code refuse} is set, counting releases. */
    private static final class Flaky implements StepPipeline {
        final InProcessPipeline local;
        final AtomicBoolean refuse = new AtomicBoolean();
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();

        Flaky(InProcessPipeline pipeline) {
            local = pipeline;
        }

        @Override
        public ModelConfig config() {
            return local.config();
        }

        @Override
        public int vocab() {
            return local.vocab();
        }

        @Override
        public boolean hasMtp() {
            return local.hasMtp();
        }

        @Override
        public SequenceHandle newSequence() {
            if (refuse.get()) {
                throw new IllegalStateException("the cluster is unreachable");
            }
            opened.incrementAndGet();
            return new Counted(local.newSequence(), released);
        }

        @Override
        public StepOutput step(List<? extends SequenceHandle> sequences, List<int[]> newTokens, int[] logitRows, boolean hidden) {
            return local.step(inner(sequences), newTokens, logitRows, hidden);
        }

        @Override
        public MtpOutput mtp(List<? extends SequenceHandle> sequences, int[] counts, float[] h, int[] nextTokens, int[] selected) {
            return local.mtp(inner(sequences), counts, h, nextTokens, selected);
        }

        @Override
        public void truncate(SequenceHandle sequence, int length, int mtpLength) {
            local.truncate(((Counted) sequence).inner(), length, mtpLength);
        }

        private static List<SequenceHandle> inner(List<? extends SequenceHandle> sequences) {
            return sequences.stream().map(s -> ((Counted) s).inner()).toList();
        }
    }

    private record Counted(StepPipeline.SequenceHandle inner, AtomicInteger released) implements StepPipeline.SequenceHandle {
        @Override
        public void release() {
            released.incrementAndGet();
        }
    }

    /** Completes with the finish reason, or exceptionally with the engine's error message. */
    private static CompletableFuture<TokenListener.FinishReason> submit(TokenEngine engine, int maxTokens) {
        CompletableFuture<TokenListener.FinishReason> done = new CompletableFuture<>();
        engine.submit(new GenerationRequest(new int[] {11, 168, 325}, maxTokens, 0, 1, 0, 0, Set.of()), new TokenListener() {
            @Override
            public void onToken(int id) {
            }

            @Override
            public void onFinish(FinishReason reason, Usage usage) {
                done.complete(reason);
            }

            @Override
            public void onError(String message) {
                done.completeExceptionally(new IllegalStateException(message));
            }
        });
        return done;
    }

    @Test
    void aSequenceThatCannotOpenFailsItsRequestAndTheEngineKeepsServing() throws Exception {
        try (Checkpoint c = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_C)); Parallel p = Parallel.create(2)) {
            Flaky pipeline = new Flaky(InProcessPipeline.load(c, p));
            var engine = new ContinuousBatchingEngine(pipeline, new ContinuousBatchingEngine.Settings(1L << 30, 4, 16));
            CompletableFuture<TokenListener.FinishReason> endless;
            try {
                pipeline.refuse.set(true);
                var refused = submit(engine, 4);
                String error = errorOf(refused);
                assertTrue(error.contains("the cluster is unreachable"), error);
                pipeline.refuse.set(false);
                assertEquals(TokenListener.FinishReason.LENGTH, submit(engine, 4).get(60, TimeUnit.SECONDS));
                assertEquals(pipeline.opened.get(), pipeline.released.get(), "a finished request gives its sequence back");

                endless = submit(engine, 100_000);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (pipeline.opened.get() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
            } finally {
                engine.close();
            }
            assertEquals(2, pipeline.opened.get());
            assertEquals(2, pipeline.released.get(), "closing the engine gives back the running request's sequence");
            assertEquals("the engine was closed", errorOf(endless));
        }
    }

    /** The error a request ended with; fails when it finished normally or never ended. */
    private static String errorOf(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause().getMessage();
        } catch (TimeoutException e) {
            throw new AssertionError("the request never ended", e);
        }
        throw new AssertionError("the request did not fail");
    }
}
