package dev.conclave.model.serving;

import dev.conclave.model.ContextBudget;
import dev.conclave.model.DecodeStep;
import dev.conclave.model.MtpStats;
import dev.conclave.model.Sampler;
import dev.conclave.model.StepPipeline;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 *
 * <p>With MTP drafts on, each decoding request feeds its pending token and drafts, and {@link DecodeStep}
 * verifies them all in the step's one forward, so requests emit different numbers of tokens per step; the
 * engine hands them to the listener one at a time and stops exactly at a stop id or the token budget. The
 * drafts never reach past a request's budget, so its reservation (MTP cache included) covers them.
 */
public final class ContinuousBatchingEngine implements TokenEngine {

    /** Limits of one engine: KV-cache bytes, sequences per step, prompt tokens per step; MTP drafts per step. */
    public record Settings(long kvBudgetBytes, int maxSequences, int prefillChunk, int mtpDrafts) {
        public Settings {
            if (kvBudgetBytes <= 0 || maxSequences < 1 || prefillChunk < 1 || mtpDrafts < 0) {
                throw new IllegalArgumentException("engine limits must be positive (MTP drafts >= 0): " + this);
            }
        }

        public Settings(long kvBudgetBytes, int maxSequences, int prefillChunk) {
            this(kvBudgetBytes, maxSequences, prefillChunk, 0);
        }
    }

    private final StepPipeline pipeline;
    private final DecodeStep decode;
    private final MtpStats mtpStats;
    private final Settings settings;
    private final long kvBytesPerToken;
    private final int context;
    private final ConcurrentLinkedQueue<Job> submitted = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    private final List<Job> running = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;
    private volatile long decodeTokens;
    private volatile long decodeNanos;
    private long reserved;

    public ContinuousBatchingEngine(StepPipeline pipeline, Settings settings) {
        this.pipeline = pipeline;
        this.decode = new DecodeStep(pipeline, settings.mtpDrafts());
        this.mtpStats = new MtpStats(settings.mtpDrafts());
        this.settings = settings;
        this.kvBytesPerToken = pipeline.kvBytesPerToken();
        this.context = pipeline.config().maxPositionEmbeddings();
        this.loop = Thread.ofPlatform().name("conclave-engine").daemon().start(this::run);
    }

    @Override
    public int vocab() {
        return pipeline.vocab();
    }

    @Override
    public EngineStats stats() {
        return new EngineStats(decodeTokens, decodeNanos, decode.drafts() == 0 ? null : mtpStats.copy());
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
                mtpStats.add(job.lane.stats());
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
                job.lane = decode.lane(job.request.prompt(), job.sampler, job.budget, job.request.logProbs());
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
        List<DecodeStep.Lane> lanes = new ArrayList<>();
        int[] chunks = new int[running.size()];
        int prefillLeft = settings.prefillChunk();
        for (Job job : running) {
            int left = job.lane.promptLeft();
            if (left > 0) {
                if (prefillLeft == 0) {
                    continue;
                }
                chunks[batch.size()] = Math.min(prefillLeft, left);
                prefillLeft -= chunks[batch.size()];
            }
            batch.add(job);
            lanes.add(job.lane);
        }
        try {
            decode.run(lanes, chunks);
        } catch (RuntimeException e) {
            fail(batch, e);
            return;
        }
        for (Job job : batch) {
            int[] emitted = job.lane.emitted();
            double[] logProbs = job.lane.emittedLogProbs();
            for (int i = 0; i < emitted.length; i++) {
                if (emit(job, emitted[i], logProbs == null ? 0 : logProbs[i])) {
                    break;
                }
            }
        }
    }

    /** The batch's caches may be half-written: these requests cannot continue; the others can. */
    private void fail(List<Job> batch, RuntimeException e) {
        for (Job job : batch) {
            running.remove(job);
            release(job);
            job.listener.onError("step failed: " + e.getMessage());
        }
    }

    /**
     * Hands one verified token to the request (with its sampled log-prob if the request asked for them); returns
     * whether it ended the request (stop id or budget).
     */
    private boolean emit(Job job, int token, double logProb) {
        if (job.produced == 0) {
            job.firstTokenNanos = System.nanoTime();
        }
        job.produced++;
        if (job.request.logProbs()) {
            job.listener.onToken(token, logProb);
        } else {
            job.listener.onToken(token);
        }
        TokenListener.FinishReason reason = job.request.stopIds().contains(token) ? TokenListener.FinishReason.STOP
                : job.produced >= job.budget ? TokenListener.FinishReason.LENGTH : null;
        if (reason == null) {
            return false;
        }
        running.remove(job);
        mtpStats.add(job.lane.stats());
        release(job);
        job.finish(reason);
        return true;
    }

    private void release(Job job) {
        reserved -= job.reservation;
        job.lane.sequence().release();
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
        DecodeStep.Lane lane;
        int produced;
        long firstTokenNanos;

        Job(GenerationRequest request, TokenListener listener) {
            this.request = request;
            this.listener = listener;
            this.sampler = new Sampler(request.temperature(), request.topK(), request.topP(), request.seed());
            this.budget = ContextBudget.tokens(request.prompt().length, request.maxTokens(), context);
            this.positions = request.prompt().length + budget - 1;
            this.reservation = positions * kvBytesPerToken;
        }

        void finish(TokenListener.FinishReason reason) {
            MtpStats mtp = lane == null || decode.drafts() == 0 ? null : lane.stats().copy();
            long nanos = produced < 2 ? 0 : System.nanoTime() - firstTokenNanos;
            if (nanos > 0) {
                // Only the engine thread writes; the metrics endpoint reads.
                decodeTokens += produced - 1;
                decodeNanos += nanos;
            }
            listener.onFinish(reason, new TokenListener.Usage(request.prompt().length, produced, mtp, nanos));
        }
    }
}
