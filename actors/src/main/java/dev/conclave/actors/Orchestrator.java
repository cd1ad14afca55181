package dev.conclave.actors;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.ContextBudget;
import dev.conclave.model.Embedding;
import dev.conclave.model.MtpLayer;
import dev.conclave.model.OutputHead;
import dev.conclave.model.Sampler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns requests and sequences and runs the step loop: embed → each attention stage in layer order →
 * final norm → lm_head → sampling. Requests run one at a time. A scheduler outside (the serving engine's
 * continuous batching) instead opens sequences and sends whole batched {@link Step}s, sampling itself, and
 * with speculative decoding {@link MtpStep}s: the MTP layer's own weights ({@code eh_proj}, {@code enorm},
 * {@code hnorm}, {@code shared_head}) run here, its decoder block on the attention stage hosting layer
 * {@code mtp} (beside that stage's main layers, on its thread), whose routed experts are reached over the
 * data plane like any other layer's.
 */
public final class Orchestrator extends AbstractBehavior<Orchestrator.Command> {

    public sealed interface Command extends ControlMessage {
    }

    /** Generates after {@code prompt}; temperature 0 is greedy. */
    public record Generate(int[] prompt, int maxTokens, double temperature, double topP, int topK, long seed,
                           boolean ignoreEos, ActorRef<Result> replyTo) implements Command {
    }

    /** One prefill over {@code tokens}, answered with the logits of every position. */
    public record ComputeLogits(int[] tokens, ActorRef<Result> replyTo) implements Command {
    }

    /** Opens a sequence for {@link Step}s, answered with {@link SequenceOpened}. */
    public record OpenSequence(ActorRef<Result> replyTo) implements Command {
    }

    /**
     * One batched forward step over opened sequences: sequence {@code sequenceIds[s]} puts the next
     * {@code counts[s]} of {@code tokens} at positions {@code positions[s]} on, and its last {@code logitRows[s]}
     * new rows get logits. A position behind the sequence's length first rolls every stage's main caches
     * back to it (rejected drafts). Answered with {@link Stepped}; after a failure the batch's sequences
     * cannot continue.
     */
    public record Step(long[] sequenceIds, int[] positions, int[] counts, int[] tokens, int[] logitRows,
                       boolean withHidden, ActorRef<Result> replyTo) implements Command {
    }

    /**
     * The MTP layer over opened sequences: sequence {@code sequenceIds[s]} brings {@code counts[s]} rows at
     * MTP positions {@code positions[s]} on (a position behind its MTP cache rolls that cache back first);
     * row r pairs {@code hidden[r]} ([rows, hidden]) with {@code nextTokens[r]}. Answered with {@link Drafted}
     * for rows {@code selected}.
     */
    public record MtpStep(long[] sequenceIds, int[] positions, int[] counts, float[] hidden, int[] nextTokens,
                          int[] selected, ActorRef<Result> replyTo) implements Command {
    }

    /** The sequence is finished: every stage drops its caches. */
    public record CloseSequence(long sequenceId) implements Command {
    }

    public sealed interface Result extends ControlMessage {
    }

    public record Generated(int[] ids) implements Result {
    }

    public record SequenceOpened(long sequenceId) implements Result {
    }

    /** Row-major logits [tokens, vocab]. */
    public record Logits(int vocab, float[] logits) implements Result {
    }

    /**
     * A {@link Step}'s logits [logit rows, vocab], each sequence's in row order, and, when asked for, every
     * row's final-normed hidden state [rows, hidden] (else empty).
     */
    public record Stepped(int vocab, float[] logits, float[] hidden) implements Result {
    }

    /** An {@link MtpStep}'s draft logits [selected, vocab] and {@code shared_head.norm} outputs [selected, hidden]. */
    public record Drafted(int vocab, float[] logits, float[] normed) implements Result {
    }

    public record Failed(String reason) implements Result {
    }

    private record StageAnswer(AttentionStage.StepResult result) implements Command {
    }

    private record StepTimedOut(long step) implements Command {
    }

    /** An opened sequence's cache lengths, as every stage holds them: the main layers' and the MTP layer's. */
    private static final class Lengths {
        int main;
        int mtp;
    }

    /**
     * A request in flight: its sequences with their positions, the stages its steps run through and, for a
     * generation, what has been generated so far. A generation or logits request owns its one sequence; a
     * {@link Step} or {@link MtpStep} borrows opened ones.
     */
    private static final class Job {
        final Command request;
        final long[] sequenceIds;
        final int[] positions;
        final List<ActorRef<AttentionStage.Command>> route;
        final int maxTokens;
        final Sampler sampler;
        final Set<Integer> stops;
        final int[] out;
        int produced;

        Job(Command request, long[] sequenceIds, int[] positions, List<ActorRef<AttentionStage.Command>> route,
            int maxTokens, Sampler sampler, Set<Integer> stops) {
            this.request = request;
            this.sequenceIds = sequenceIds;
            this.positions = positions;
            this.route = route;
            this.maxTokens = maxTokens;
            this.sampler = sampler;
            this.stops = stops;
            this.out = new int[maxTokens];
        }
    }

    private final List<ActorRef<AttentionStage.Command>> stages;
    private final Embedding embedding;
    private final OutputHead output;
    private final Mtp mtp;
    private final Parallel parallel;
    private final int hidden;
    private final int contextLength;
    private final Set<Integer> eos;
    private final Duration stepTimeout;
    private final ActorRef<AttentionStage.StepResult> stageAdapter;
    private final TimerScheduler<Command> timers;
    private final Queue<Command> waiting = new ArrayDeque<>();
    private final Map<Long, Lengths> opened = new HashMap<>();

    private Job job;
    private long nextSequence = 1;
    private long step;
    private int stage;
    private int[] stepCounts;

    public record Settings(int hidden, int contextLength, List<Integer> eosTokenIds, Duration stepTimeout) {
    }

    /** The MTP layer's weights outside its block, and the attention stage that hosts its block (layer {@code mtp}). */
    public record Mtp(MtpLayer layer, ActorRef<AttentionStage.Command> stage) {
    }

    /** {@code mtp} is null when the model has no MTP layer: {@link MtpStep}s then fail. */
    public static Behavior<Command> create(List<ActorRef<AttentionStage.Command>> stages, Embedding embedding,
                                           OutputHead output, Mtp mtp, Parallel parallel, Settings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new Orchestrator(ctx, timers, stages, embedding, output, mtp, parallel, settings)));
    }

    private Orchestrator(ActorContext<Command> context, TimerScheduler<Command> timers,
                         List<ActorRef<AttentionStage.Command>> stages, Embedding embedding, OutputHead output,
                         Mtp mtp, Parallel parallel, Settings settings) {
        super(context);
        this.timers = timers;
        this.stages = List.copyOf(stages);
        this.embedding = embedding;
        this.output = output;
        this.mtp = mtp;
        this.parallel = parallel;
        this.hidden = settings.hidden();
        this.contextLength = settings.contextLength();
        this.eos = new HashSet<>(settings.eosTokenIds());
        this.stepTimeout = settings.stepTimeout();
        this.stageAdapter = context.messageAdapter(AttentionStage.StepResult.class, StageAnswer::new);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Generate.class, this::enqueue)
                .onMessage(ComputeLogits.class, this::enqueue)
                .onMessage(Step.class, this::enqueue)
                .onMessage(MtpStep.class, this::enqueue)
                .onMessage(OpenSequence.class, this::open)
                .onMessage(CloseSequence.class, this::close)
                .onMessage(StageAnswer.class, this::onStage)
                .onMessage(StepTimedOut.class, this::onTimeout)
                .build();
    }

    private Behavior<Command> open(OpenSequence request) {
        long id = nextSequence++;
        opened.put(id, new Lengths());
        request.replyTo().tell(new SequenceOpened(id));
        return this;
    }

    private Behavior<Command> close(CloseSequence request) {
        if (opened.remove(request.sequenceId()) != null) {
            release(request.sequenceId());
        }
        return this;
    }

    private void release(long sequenceId) {
        for (ActorRef<AttentionStage.Command> s : stages) {
            s.tell(new AttentionStage.Release(sequenceId));
        }
        if (mtp != null && !stages.contains(mtp.stage())) {
            mtp.stage().tell(new AttentionStage.Release(sequenceId));
        }
    }

    private Behavior<Command> enqueue(Command request) {
        waiting.add(request);
        if (job == null) {
            startNext();
        }
        return this;
    }

    private void startNext() {
        while (job == null && !waiting.isEmpty()) {
            Command request = waiting.poll();
            try {
                job = jobFor(request);
                switch (request) {
                    case Generate g -> startStep(embed(g.prompt()), new int[] {g.prompt().length});
                    case ComputeLogits l -> startStep(embed(l.tokens()), new int[] {l.tokens().length});
                    case Step s -> startStep(embed(s.tokens()), s.counts());
                    case MtpStep m -> {
                        float[] x = new float[m.nextTokens().length * hidden];
                        mtp.layer().input(m.hidden(), m.nextTokens(), m.nextTokens().length, x, parallel);
                        startStep(x, m.counts());
                    }
                    default -> throw new IllegalStateException("not a request: " + request);
                }
            } catch (RuntimeException e) {
                replyTo(request).tell(new Failed(e.getMessage()));
                job = null;
            }
        }
    }

    private Job jobFor(Command request) {
        return switch (request) {
            case Generate g -> {
                if (g.maxTokens() < 1) {
                    throw new IllegalArgumentException("maxTokens must be >= 1, got " + g.maxTokens());
                }
                int budget = ContextBudget.tokens(validPrompt(g.prompt()).length, g.maxTokens(), contextLength);
                yield new Job(g, new long[] {nextSequence++}, new int[1], stages, budget,
                        new Sampler(g.temperature(), g.topK(), g.topP(), g.seed()), g.ignoreEos() ? Set.of() : eos);
            }
            case ComputeLogits l -> {
                validPrompt(l.tokens());
                yield new Job(l, new long[] {nextSequence++}, new int[1], stages, 0, null, Set.of());
            }
            case Step s -> {
                validStep(s);
                rollBack(s.sequenceIds(), s.positions(), false);
                yield new Job(s, s.sequenceIds(), s.positions().clone(), stages, 0, null, Set.of());
            }
            case MtpStep m -> {
                validMtpStep(m);
                rollBack(m.sequenceIds(), m.positions(), true);
                yield new Job(m, m.sequenceIds(), m.positions().clone(), List.of(mtp.stage()), 0, null, Set.of());
            }
            default -> throw new IllegalStateException("not a request: " + request);
        };
    }

    private int[] validPrompt(int[] prompt) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt needs at least one token");
        }
        ContextBudget.tokens(prompt.length, 1, contextLength);
        return prompt;
    }

    /** Refuses a step over unknown sequences, positions the caches cannot start at, or past the context. */
    private void validStep(Step s) {
        int n = s.sequenceIds().length;
        if (n == 0 || s.counts().length != n || s.positions().length != n || s.logitRows().length != n
                || Arrays.stream(s.counts()).sum() != s.tokens().length) {
            throw new IllegalArgumentException("a step needs one position, token count and logit-row count per sequence ("
                    + n + " sequences, " + s.positions().length + " positions, " + s.counts().length + " counts, "
                    + s.logitRows().length + " logit-row counts), the counts adding up to its " + s.tokens().length + " tokens");
        }
        for (int i = 0; i < n; i++) {
            validPositions(s.sequenceIds()[i], s.positions()[i], s.counts()[i], false);
            if (s.logitRows()[i] < 0 || s.logitRows()[i] > s.counts()[i]) {
                throw new IllegalArgumentException("sequence " + s.sequenceIds()[i] + " asks logits for " + s.logitRows()[i]
                        + " rows of its " + s.counts()[i] + " new tokens");
            }
        }
    }

    private void validMtpStep(MtpStep m) {
        if (mtp == null) {
            throw new IllegalArgumentException("this cluster serves no MTP layer: its checkpoint has none"
                    + " (num_nextn_predict_layers 0), so it cannot draft");
        }
        int n = m.sequenceIds().length;
        int rows = m.nextTokens().length;
        if (n == 0 || m.counts().length != n || m.positions().length != n || Arrays.stream(m.counts()).sum() != rows
                || m.hidden().length != rows * hidden) {
            throw new IllegalArgumentException("an MTP step needs one position and row count per sequence (" + n
                    + " sequences, " + m.positions().length + " positions, " + m.counts().length + " counts) adding up to its "
                    + rows + " next tokens, and " + rows + " hidden rows of " + hidden + " (got " + m.hidden().length + " floats)");
        }
        for (int i = 0; i < n; i++) {
            validPositions(m.sequenceIds()[i], m.positions()[i], m.counts()[i], true);
        }
        for (int r : m.selected()) {
            if (r < 0 || r >= rows) {
                throw new IllegalArgumentException("an MTP step selects row " + r + " of its " + rows + " rows");
            }
        }
    }

    /** Refuses {@code count} new rows at {@code position} of the sequence's (MTP) caches unless they can go there. */
    private void validPositions(long id, int position, int count, boolean ofMtp) {
        Lengths at = opened.get(id);
        if (at == null) {
            throw new IllegalArgumentException("sequence " + id + " is not open");
        }
        if (count < 1) {
            throw new IllegalArgumentException("sequence " + id + " brings no tokens");
        }
        int length = ofMtp ? at.mtp : at.main;
        String caches = ofMtp ? "its MTP cache" : "its caches";
        if (position < 0 || position > length) {
            throw new IllegalArgumentException("sequence " + id + ": " + caches + " hold " + length
                    + " positions, so a step cannot start at position " + position);
        }
        if (position + count > contextLength) {
            throw new IllegalArgumentException("sequence " + id + " would reach " + (position + count)
                    + " positions, beyond the context of " + contextLength);
        }
    }

    /**
     * Cuts the caches of every sequence whose step starts before its length back to that position, on every
     * stage that holds them; each stage reads the cut before the step that follows it (one sender, in order).
     */
    private void rollBack(long[] ids, int[] positions, boolean ofMtp) {
        for (int i = 0; i < ids.length; i++) {
            Lengths at = opened.get(ids[i]);
            if (positions[i] < (ofMtp ? at.mtp : at.main)) {
                var truncate = new AttentionStage.Truncate(ids[i], positions[i], ofMtp);
                for (ActorRef<AttentionStage.Command> s : ofMtp ? List.of(mtp.stage()) : stages) {
                    s.tell(truncate);
                }
                if (ofMtp) {
                    at.mtp = positions[i];
                } else {
                    at.main = positions[i];
                }
            }
        }
    }

    private float[] embed(int[] tokens) {
        float[] x = new float[tokens.length * hidden];
        embedding.lookup(tokens, x);
        return x;
    }

    private void startStep(float[] x, int[] counts) {
        step++;
        stage = 0;
        stepCounts = counts;
        timers.startSingleTimer("step", new StepTimedOut(step), stepTimeout);
        sendToStage(x);
    }

    private void sendToStage(float[] x) {
        job.route.get(stage).tell(new AttentionStage.RunLayers(step, job.sequenceIds, stepCounts, job.positions.clone(), x,
                job.request instanceof MtpStep, stageAdapter));
    }

    private Behavior<Command> onStage(StageAnswer answer) {
        AttentionStage.StepResult r = answer.result();
        if (job == null || r.step() != step) {
            return this;
        }
        switch (r) {
            case AttentionStage.LayersFailed f -> fail(f.reason());
            case AttentionStage.LayersDone d -> {
                stage++;
                if (stage < job.route.size()) {
                    sendToStage(d.hidden());
                } else {
                    timers.cancel("step");
                    try {
                        finishStep(d.hidden());
                    } catch (RuntimeException e) {
                        fail(e.getMessage());
                    }
                }
            }
        }
        return this;
    }

    private Behavior<Command> onTimeout(StepTimedOut t) {
        if (job != null && t.step() == step) {
            fail("step " + step + " got no answer from attention stage " + stage + " within " + stepTimeout);
        }
        return this;
    }

    private void finishStep(float[] x) {
        int rows = x.length / hidden;
        for (int s = 0; s < stepCounts.length; s++) {
            job.positions[s] += stepCounts[s];
        }
        switch (job.request) {
            case MtpStep m -> {
                for (int i = 0; i < stepCounts.length; i++) {
                    lengths(m.sequenceIds()[i]).mtp = job.positions[i];
                }
                float[] logits = mtp.layer().output(x, rows, m.selected(), parallel);
                complete(m.replyTo(), new Drafted(mtp.layer().vocab(), logits, mtp.layer().normedRows(m.selected())));
            }
            case Step s -> {
                float[] h = output.normalize(x, rows);
                int[] selected = new int[Arrays.stream(s.logitRows()).sum()];
                for (int i = 0, end = 0, k = 0; i < stepCounts.length; i++) {
                    end += stepCounts[i];
                    for (int r = end - s.logitRows()[i]; r < end; r++) {
                        selected[k++] = r;
                    }
                    lengths(s.sequenceIds()[i]).main = job.positions[i];
                }
                complete(s.replyTo(), new Stepped(output.vocab(), output.logits(h, selected, parallel),
                        s.withHidden() ? h : new float[0]));
            }
            case ComputeLogits l -> {
                int[] all = new int[rows];
                Arrays.setAll(all, i -> i);
                complete(l.replyTo(), new Logits(output.vocab(), output.logits(output.normalize(x, rows), all, parallel)));
            }
            case Generate g -> {
                float[] logits = output.logits(output.normalize(x, rows), new int[] {rows - 1}, parallel);
                int token = job.sampler.sample(logits);
                job.out[job.produced++] = token;
                if (job.produced == job.maxTokens || job.stops.contains(token)) {
                    complete(g.replyTo(), new Generated(Arrays.copyOf(job.out, job.produced)));
                } else {
                    startStep(embed(new int[] {token}), new int[] {1});
                }
            }
            default -> throw new IllegalStateException("not a request: " + job.request);
        }
    }

    /** An opened sequence's lengths; a sequence closed while its step ran keeps none (a scratch record). */
    private Lengths lengths(long id) {
        return opened.getOrDefault(id, new Lengths());
    }

    private void fail(String reason) {
        timers.cancel("step");
        complete(replyTo(job.request), new Failed(reason));
    }

    private void complete(ActorRef<Result> replyTo, Result result) {
        if (job.request instanceof Generate || job.request instanceof ComputeLogits) {
            release(job.sequenceIds[0]);
        }
        replyTo.tell(result);
        job = null;
        startNext();
    }

    private static ActorRef<Result> replyTo(Command request) {
        return switch (request) {
            case Generate g -> g.replyTo();
            case ComputeLogits l -> l.replyTo();
            case Step s -> s.replyTo();
            case MtpStep m -> m.replyTo();
            default -> throw new IllegalStateException("not a request: " + request);
        };
    }
}
