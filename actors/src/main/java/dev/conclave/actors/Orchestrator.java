package dev.conclave.actors;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.ContextBudget;
import dev.conclave.model.Embedding;
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
 * continuous batching) instead opens sequences and sends whole batched {@link Step}s, sampling itself.
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
     * One batched forward step over opened sequences: sequence {@code sequenceIds[s]} appends the next
     * {@code counts[s]} of {@code tokens}. Answered with {@link Logits} of each sequence's last new row,
     * [sequences, vocab]; after a failure the batch's sequences cannot continue.
     */
    public record Step(long[] sequenceIds, int[] counts, int[] tokens, ActorRef<Result> replyTo) implements Command {
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

    public record Failed(String reason) implements Result {
    }

    private record StageAnswer(AttentionStage.StepResult result) implements Command {
    }

    private record StepTimedOut(long step) implements Command {
    }

    /**
     * A request in flight: its sequences with their positions and, for a generation, what has been generated
     * so far. A generation or logits request owns its one sequence; a {@link Step} borrows opened ones.
     */
    private static final class Job {
        final Command request;
        final long[] sequenceIds;
        final int[] positions;
        final int[] prompt;
        final int maxTokens;
        final Sampler sampler;
        final Set<Integer> stops;
        final int[] out;
        int produced;

        Job(Command request, long sequenceId, int[] prompt, int maxTokens, Sampler sampler, Set<Integer> stops) {
            this.request = request;
            this.sequenceIds = new long[] {sequenceId};
            this.positions = new int[1];
            this.prompt = prompt;
            this.maxTokens = maxTokens;
            this.sampler = sampler;
            this.stops = stops;
            this.out = new int[maxTokens];
        }

        Job(Step step, int[] positions) {
            this.request = step;
            this.sequenceIds = step.sequenceIds();
            this.positions = positions;
            this.prompt = step.tokens();
            this.maxTokens = 0;
            this.sampler = null;
            this.stops = Set.of();
            this.out = new int[0];
        }
    }

    private final List<ActorRef<AttentionStage.Command>> stages;
    private final Embedding embedding;
    private final OutputHead output;
    private final Parallel parallel;
    private final int hidden;
    private final int contextLength;
    private final Set<Integer> eos;
    private final Duration stepTimeout;
    private final ActorRef<AttentionStage.StepResult> stageAdapter;
    private final TimerScheduler<Command> timers;
    private final Queue<Command> waiting = new ArrayDeque<>();
    /** Positions of the sequences opened for {@link Step}s. */
    private final Map<Long, Integer> opened = new HashMap<>();

    private Job job;
    private long nextSequence = 1;
    private long step;
    private int stage;
    private int[] stepTokens;
    private int[] stepCounts;

    public record Settings(int hidden, int contextLength, List<Integer> eosTokenIds, Duration stepTimeout) {
    }

    public static Behavior<Command> create(List<ActorRef<AttentionStage.Command>> stages, Embedding embedding,
                                           OutputHead output, Parallel parallel, Settings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new Orchestrator(ctx, timers, stages, embedding, output, parallel, settings)));
    }

    private Orchestrator(ActorContext<Command> context, TimerScheduler<Command> timers,
                         List<ActorRef<AttentionStage.Command>> stages, Embedding embedding, OutputHead output,
                         Parallel parallel, Settings settings) {
        super(context);
        this.timers = timers;
        this.stages = List.copyOf(stages);
        this.embedding = embedding;
        this.output = output;
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
                .onMessage(OpenSequence.class, this::open)
                .onMessage(CloseSequence.class, this::close)
                .onMessage(StageAnswer.class, this::onStage)
                .onMessage(StepTimedOut.class, this::onTimeout)
                .build();
    }

    private Behavior<Command> open(OpenSequence request) {
        long id = nextSequence++;
        opened.put(id, 0);
        request.replyTo().tell(new SequenceOpened(id));
        return this;
    }

    private Behavior<Command> close(CloseSequence request) {
        if (opened.remove(request.sequenceId()) != null) {
            for (ActorRef<AttentionStage.Command> s : stages) {
                s.tell(new AttentionStage.Release(request.sequenceId()));
            }
        }
        return this;
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
                startStep(job.prompt, job.request instanceof Step step ? step.counts() : new int[] {job.prompt.length});
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
                yield new Job(g, nextSequence++, g.prompt(), budget,
                        new Sampler(g.temperature(), g.topK(), g.topP(), g.seed()), g.ignoreEos() ? Set.of() : eos);
            }
            case ComputeLogits l -> new Job(l, nextSequence++, validPrompt(l.tokens()), 0, null, Set.of());
            case Step s -> new Job(s, validStep(s));
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

    /** The opened sequences' current positions; refuses unknown sequences and steps past the context. */
    private int[] validStep(Step s) {
        int n = s.sequenceIds().length;
        if (n == 0 || s.counts().length != n || Arrays.stream(s.counts()).sum() != s.tokens().length) {
            throw new IllegalArgumentException("a step needs one token count per sequence (" + n + " sequences, "
                    + s.counts().length + " counts) adding up to its " + s.tokens().length + " tokens");
        }
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            Integer at = opened.get(s.sequenceIds()[i]);
            if (at == null) {
                throw new IllegalArgumentException("sequence " + s.sequenceIds()[i] + " is not open");
            }
            if (s.counts()[i] < 1) {
                throw new IllegalArgumentException("sequence " + s.sequenceIds()[i] + " brings no tokens");
            }
            if (at + s.counts()[i] > contextLength) {
                throw new IllegalArgumentException("sequence " + s.sequenceIds()[i] + " would reach "
                        + (at + s.counts()[i]) + " positions, beyond the context of " + contextLength);
            }
            positions[i] = at;
        }
        return positions;
    }

    private void startStep(int[] tokens, int[] counts) {
        step++;
        stage = 0;
        stepTokens = tokens;
        stepCounts = counts;
        float[] x = new float[tokens.length * hidden];
        embedding.lookup(tokens, x);
        timers.startSingleTimer("step", new StepTimedOut(step), stepTimeout);
        sendToStage(x);
    }

    private void sendToStage(float[] x) {
        stages.get(stage).tell(new AttentionStage.RunLayers(step, job.sequenceIds, stepCounts, job.positions.clone(), x,
                stageAdapter));
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
                if (stage < stages.size()) {
                    sendToStage(d.hidden());
                } else {
                    timers.cancel("step");
                    finishStep(d.hidden());
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
        int rows = stepTokens.length;
        for (int s = 0; s < stepCounts.length; s++) {
            job.positions[s] += stepCounts[s];
        }
        float[] h = output.normalize(x, rows);
        int vocab = output.vocab();
        if (job.request instanceof Step s) {
            int[] lastRows = new int[stepCounts.length];
            for (int i = 0, end = 0; i < stepCounts.length; i++) {
                end += stepCounts[i];
                lastRows[i] = end - 1;
                opened.replace(s.sequenceIds()[i], job.positions[i]);
            }
            complete(s.replyTo(), new Logits(vocab, output.logits(h, lastRows, parallel)));
            return;
        }
        if (job.request instanceof ComputeLogits l) {
            int[] all = new int[rows];
            Arrays.setAll(all, i -> i);
            complete(l.replyTo(), new Logits(vocab, output.logits(h, all, parallel)));
            return;
        }
        float[] logits = output.logits(h, new int[] {rows - 1}, parallel);
        int token = job.sampler.sample(logits);
        job.out[job.produced++] = token;
        if (job.produced == job.maxTokens || job.stops.contains(token)) {
            complete(((Generate) job.request).replyTo(), new Generated(Arrays.copyOf(job.out, job.produced)));
        } else {
            startStep(new int[] {token}, new int[] {1});
        }
    }

    private void fail(String reason) {
        timers.cancel("step");
        complete(replyTo(job.request), new Failed(reason));
    }

    private void complete(ActorRef<Result> replyTo, Result result) {
        if (!(job.request instanceof Step)) {
            for (ActorRef<AttentionStage.Command> s : stages) {
                s.tell(new AttentionStage.Release(job.sequenceIds[0]));
            }
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
            default -> throw new IllegalStateException("not a request: " + request);
        };
    }
}
