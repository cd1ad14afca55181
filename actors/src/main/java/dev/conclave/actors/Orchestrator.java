package dev.conclave.actors;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.ContextBudget;
import dev.conclave.model.Embedding;
import dev.conclave.model.OutputHead;
import dev.conclave.model.Sampler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
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
 * final norm → lm_head → sampling. It is the only place that knows a step's batch. Requests run one at a
 * time here; the serving issue adds continuous batching.
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

    public sealed interface Result extends ControlMessage {
    }

    public record Generated(int[] ids) implements Result {
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

    /** A request in flight: its sequence and what has been generated so far. */
    private static final class Job {
        final Command request;
        final long sequenceId;
        final int[] prompt;
        final int maxTokens;
        final Sampler sampler;
        final Set<Integer> stops;
        final int[] out;
        int produced;
        int position;

        Job(Command request, long sequenceId, int[] prompt, int maxTokens, Sampler sampler, Set<Integer> stops) {
            this.request = request;
            this.sequenceId = sequenceId;
            this.prompt = prompt;
            this.maxTokens = maxTokens;
            this.sampler = sampler;
            this.stops = stops;
            this.out = new int[maxTokens];
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

    private Job job;
    private long nextSequence = 1;
    private long step;
    private int stage;
    private int[] stepTokens;

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
                .onMessage(StageAnswer.class, this::onStage)
                .onMessage(StepTimedOut.class, this::onTimeout)
                .build();
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
                startStep(job.prompt);
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

    private void startStep(int[] tokens) {
        step++;
        stage = 0;
        stepTokens = tokens;
        float[] x = new float[tokens.length * hidden];
        embedding.lookup(tokens, x);
        timers.startSingleTimer("step", new StepTimedOut(step), stepTimeout);
        sendToStage(x);
    }

    private void sendToStage(float[] x) {
        stages.get(stage).tell(new AttentionStage.RunLayers(step, new long[] {job.sequenceId},
                new int[] {stepTokens.length}, new int[] {job.position}, x, stageAdapter));
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
        job.position += rows;
        float[] h = output.normalize(x, rows);
        int vocab = output.vocab();
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
            startStep(new int[] {token});
        }
    }

    private void fail(String reason) {
        timers.cancel("step");
        complete(replyTo(job.request), new Failed(reason));
    }

    private void complete(ActorRef<Result> replyTo, Result result) {
        for (ActorRef<AttentionStage.Command> s : stages) {
            s.tell(new AttentionStage.Release(job.sequenceId));
        }
        replyTo.tell(result);
        job = null;
        startNext();
    }

    private static ActorRef<Result> replyTo(Command request) {
        return switch (request) {
            case Generate g -> g.replyTo();
            case ComputeLogits l -> l.replyTo();
            default -> throw new IllegalStateException("not a request: " + request);
        };
    }
}
