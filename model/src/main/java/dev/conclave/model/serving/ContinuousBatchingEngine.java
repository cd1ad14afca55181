package dev.conclave.model.serving;

import dev.conclave.model.ContextBudget;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Continuous batching over a {@link StepPipeline} (one JVM's or a cluster's). Every step runs all decoding
 * requests (one token each) together with a bounded chunk of prompt tokens from requests still prefilling, so
 * new requests join the running batch between steps without stalling the others' decode for a whole prompt.
 *
 * <p>Admission control: each request reserves the KV cache its prompt plus token budget can reach; a
 * request whose reservation exceeds the whole budget is refused at once, one that does not fit beside the
 * running ones waits in arrival order. Cancelled requests leave at the next step.
 */
public final class ContinuousBatchingEngine implements TokenEngine {

    /** Limits of one engine: KV-cache bytes, sequences per step, prompt tokens per step. */
    public record Settings(long kvBudgetBytes, int maxSequences, int prefillChunk) {
        public Settings {
            if (kvBudgetBytes <= 0 || maxSequences < 1 || prefillChunk < 1) {
                throw new IllegalArgumentException("engine limits must be positive: " + this);
            }
        }
    }

    private final StepPipeline pipeline;
    private final Settings settings;
    private final long kvBytesPerToken;
    private final int context;
    private final ConcurrentLinkedQueue<Job> submitted = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    private final List<Job> running = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;
    private long reserved;

    public ContinuousBatchingEngine(InProcessPipeline pipeline, Settings settings) {
        this(new LocalStepPipeline(pipeline), settings);
    }

    public ContinuousBatchingEngine(StepPipeline pipeline, Settings settings) {
        this.pipeline = pipeline;
        this.settings = settings;
        this.kvBytesPerToken = pipeline.kvBytesPerToken();
        this.context = pipeline.context();
        this.loop = Thread.ofPlatform().name("conclave-engine").daemon().start(this::run);
    }

    @Override
    public int vocab() {
        return pipeline.vocab();
    }

    @Override
    public Handle submit(GenerationRequest request, TokenListener listener) {
        Job job;
        try {
            job = new Job(request, listener);
        } catch (IllegalArgumentException e) {
            listener.onError(e.getMessage());
            return () -> { };
        }
        if (job.reservation > settings.kvBudgetBytes()) {
            listener.onError("the request needs " + job.reservation + " bytes of KV cache (" + job.positions
                    + " positions), more than the engine's budget of " + settings.kvBudgetBytes() + " bytes");
            return () -> { };
        }
        submitted.add(job);
        LockSupport.unpark(loop);
        return () -> {
            job.cancelled = true;
            LockSupport.unpark(loop);
        };
    }

    private void run() {
        while (!closed) {
            drainSubmissions();
            dropCancelled();
            admit();
            if (running.isEmpty()) {
                LockSupport.park(this);
                continue;
            }
            step();
        }
        for (Job job : running) {
            release(job);
            job.listener.onError("the engine was closed");
        }
        for (Job job : waiting) {
            job.listener.onError("the engine was closed");
        }
    }

    private void drainSubmissions() {
        for (Job job; (job = submitted.poll()) != null; ) {
            waiting.add(job);
        }
    }

    private void dropCancelled() {
        for (Iterator<Job> it = waiting.iterator(); it.hasNext(); ) {
            Job job = it.next();
            if (job.cancelled) {
                it.remove();
                job.finish(TokenListener.FinishReason.CANCELLED);
            }
        }
        for (Iterator<Job> it = running.iterator(); it.hasNext(); ) {
            Job job = it.next();
            if (job.cancelled) {
                it.remove();
                release(job);
                job.finish(TokenListener.FinishReason.CANCELLED);
            }
        }
    }

    /** Arrival order: a request that does not fit waits, and so do the ones behind it. */
    private void admit() {
        while (!waiting.isEmpty() && running.size() < settings.maxSequences()
                && reserved + waiting.peek().reservation <= settings.kvBudgetBytes()) {
            Job job = waiting.poll();
            try {
                job.sequence = pipeline.newSequence();
            } catch (RuntimeException e) {
                // A cluster may be unreachable: this request fails, the engine keeps serving.
                job.listener.onError("no sequence could be opened: " + e.getMessage());
                continue;
            }
            reserved += job.reservation;
            running.add(job);
        }
    }

    private void step() {
        List<Job> batch = new ArrayList<>();
        List<StepPipeline.SequenceHandle> sequences = new ArrayList<>();
        List<int[]> tokens = new ArrayList<>();
        int prefillLeft = settings.prefillChunk();
        for (Job job : running) {
            int[] next;
            if (job.prefilled < job.request.prompt().length) {
                if (prefillLeft == 0) {
                    continue;
                }
                int n = Math.min(prefillLeft, job.request.prompt().length - job.prefilled);
                next = Arrays.copyOfRange(job.request.prompt(), job.prefilled, job.prefilled + n);
                prefillLeft -= n;
            } else {
                next = new int[] {job.last};
            }
            batch.add(job);
            sequences.add(job.sequence);
            tokens.add(next);
        }
        float[][] logits;
        try {
            logits = pipeline.step(sequences, tokens);
        } catch (RuntimeException e) {
            // The batch's caches may be half-written: these requests cannot continue; the others can.
            for (Job job : batch) {
                running.remove(job);
                release(job);
                job.listener.onError("step failed: " + e.getMessage());
            }
            return;
        }
        for (int s = 0; s < batch.size(); s++) {
            Job job = batch.get(s);
            boolean wasPrefill = job.prefilled < job.request.prompt().length;
            if (wasPrefill) {
                job.prefilled += tokens.get(s).length;
                if (job.prefilled < job.request.prompt().length) {
                    continue;
                }
            }
            int token = job.sampler.sample(logits[s]);
            job.last = token;
            job.produced++;
            job.listener.onToken(token);
            TokenListener.FinishReason reason = job.request.stopIds().contains(token) ? TokenListener.FinishReason.STOP
                    : job.produced >= job.budget ? TokenListener.FinishReason.LENGTH : null;
            if (reason != null) {
                running.remove(job);
                release(job);
                job.finish(reason);
            }
        }
    }

    private void release(Job job) {
        reserved -= job.reservation;
        job.sequence.release();
        job.sequence = null;
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(loop);
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One request's progress through the engine. */
    private final class Job {
        final GenerationRequest request;
        final TokenListener listener;
        final Sampler sampler;
        /** Tokens it may generate: its own limit, cut to the context. */
        final int budget;
        final int positions;
        final long reservation;
        volatile boolean cancelled;
        StepPipeline.SequenceHandle sequence;
        int prefilled;
        int produced;
        int last;

        Job(GenerationRequest request, TokenListener listener) {
            this.request = request;
            this.listener = listener;
            this.sampler = new Sampler(request.temperature(), request.topK(), request.topP(), request.seed());
            this.budget = ContextBudget.tokens(request.prompt().length, request.maxTokens(), context);
            this.positions = request.prompt().length + budget - 1;
            this.reservation = positions * kvBytesPerToken;
        }

        void finish(TokenListener.FinishReason reason) {
            listener.onFinish(reason, new TokenListener.Usage(request.prompt().length, produced));
        }
    }
}
