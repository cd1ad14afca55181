package dev.conclave.training.loop;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.training.Param;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.StepReport;
import dev.conclave.training.rl.Aggregation;
import dev.conclave.training.rl.Curriculum;
import dev.conclave.training.rl.DynamicTemperature;
import dev.conclave.training.rl.GroupFilter;
import dev.conclave.training.rl.GrpoBatch;
import dev.conclave.training.rl.PolicyLoss;
import dev.conclave.training.rl.PolicyMetrics;
import dev.conclave.training.rl.Verifiers;
import dev.conclave.training.tasks.RlTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * GRPO as GLM-4.5 runs it (training spec §1): each step publishes the current weights to the serving path,
 * samples K responses per prompt at temperature τ (recording each token's sampled log-prob), scores them with the
 * tasks' verifiers, drops groups whose rewards are all equal and draws more prompts until enough groups survive
 * (dynamic sampling), computes group-relative advantages, and takes one optimizer step on the clipped policy loss
 * (ε 0.2 / 0.28, no KL, token-mean over every generated token of the step). Router bias updates, the balance loss
 * and the MTP loss are frozen (spec §1.10). The optimizer steps and checkpoints go through a {@link StepRunner}
 * (this process, or a cluster whose routed experts live on their owner nodes); the rollouts and evaluations
 * publish every param it gathers.
 *
 * <p>Weight version v is the weights after v optimizer steps (0: the loaded checkpoint); step r's update starts
 * from version r − 1. {@link RolloutMode#SYNC} (slime's colocated loop, spec §2.2) generates step r's samples
 * with version r − 1, so π_old may be the trainer's own recomputation (slime's default: with one optimizer step per
 * rollout the ratio is exactly 1) or, with {@code useRolloutLogProbs}, the sampler's. {@link RolloutMode#ONE_STEP_OFF}
 * (slime's {@code train_async.py}, spec §2.3) overlaps them: while step r's update runs, another thread generates
 * step r + 1's samples on an immutable snapshot of version r − 1, so they are one version stale and π_old is the
 * behaviour policy's sampled log-prob (the ratio is not 1 and the clip matters). Either way the trainer drops
 * samples older than the mode's staleness bound (spec §2.4 invariant 1) and logs the health metric
 * mean |log π_train − log π_sample| (slime's {@code train_rollout_logprob_abs_diff}; in one-step-off mode it also
 * holds one update's change of the policy).
 *
 * <p>What the overlapped rollout of step r + 1 sees: it starts after step r's curriculum observation (so it draws
 * from the stage that observation chose, as in synchronous mode) and owns the curriculum until it is collected; it
 * samples at the temperature in force when it starts, so a dynamic-temperature decision made at the end of step r
 * takes effect from step r + 2's rollout, one step later than in synchronous mode. Dynamic sampling (drawing
 * prompts until enough groups have mixed rewards) runs inside each rollout as before. A resumed run generates its
 * first rollout synchronously on the restored weights (the in-flight one died with the process). With the
 * curriculum on, every prompt's pass@k_small is estimated before the first step (spec §1.6).
 */
public final class GrpoTrainer {

    /** When rollouts are generated relative to the updates, and the staleness bound that follows. */
    public enum RolloutMode {
        /** Generate, then update, on the same weights: samples are never stale. */
        SYNC(0),
        /** Generate step r + 1's samples while step r's update runs: samples are one version stale. */
        ONE_STEP_OFF(1);

        private final int maxStaleness;

        RolloutMode(int maxStaleness) {
            this.maxStaleness = maxStaleness;
        }

        /** The most versions a sample may lag the weights its update starts from (spec §1.9). */
        public int maxStaleness() {
            return maxStaleness;
        }
    }

    /**
     * One run's shape; {@code evalEvery} 0 evaluates only at the start and the end. {@code useRolloutLogProbs} takes
     * π_old from the sampler instead of the trainer's recomputation; one-step-off rollouts require it.
     */
    public record Settings(long steps, int promptsPerStep, int maxPromptDraws, int maxNewTokens, boolean stdNorm,
                           Aggregation aggregation, PolicyLoss loss, long seed, int evalEvery, int checkpointEvery,
                           HfCheckpointWriter.Options saveOptions, RolloutMode rolloutMode, boolean useRolloutLogProbs) {
        public Settings {
            if (steps < 1 || promptsPerStep < 1 || maxPromptDraws < promptsPerStep || maxNewTokens < 1
                    || evalEvery < 0 || checkpointEvery < 0 || rolloutMode == null) {
                throw new IllegalArgumentException("bad GRPO settings: " + this);
            }
            if (rolloutMode == RolloutMode.ONE_STEP_OFF && !useRolloutLogProbs) {
                throw new IllegalArgumentException("one-step-off rollouts need π_old from the sampler's recorded log-probs"
                        + " (useRolloutLogProbs): the trainer's recomputation would be the newer weights', not the"
                        + " behaviour policy's");
            }
        }

        /** Synchronous rollouts, π_old recomputed by the trainer (slime's defaults). */
        public Settings(long steps, int promptsPerStep, int maxPromptDraws, int maxNewTokens, boolean stdNorm,
                        Aggregation aggregation, PolicyLoss loss, long seed, int evalEvery, int checkpointEvery,
                        HfCheckpointWriter.Options saveOptions) {
            this(steps, promptsPerStep, maxPromptDraws, maxNewTokens, stdNorm, aggregation, loss, seed, evalEvery,
                    checkpointEvery, saveOptions, RolloutMode.SYNC, false);
        }
    }

    /**
     * One step for the progress display; {@code rolloutLogProbAbsDiff} is the step's mean |log π_train − log π_sample|
     * (NaN when no group was kept).
     */
    public record StepEvent(long step, long totalSteps, double meanReward, double keptFraction, double temperature,
                            double clipFraction, double rolloutLogProbAbsDiff, Double heldOutAccuracy) {
    }

    /** The end of a run: held-out greedy accuracy before and after, the final checkpoint. */
    public record Summary(long steps, double initialAccuracy, double finalAccuracy, Path checkpoint) {
    }

    /** RL's objective has no balance loss and no MTP loss (spec §1.10). */
    private static final TrainableModel.LossWeights NO_AUX_OR_MTP = new TrainableModel.LossWeights(0, 0);

    private final TrainableModel model;
    private final StepRunner runner;
    private final List<RlTask> tasks;
    private final Map<String, RlTask> byId = new HashMap<>();
    private final ChatTask chat;
    private final Verifiers verifiers;
    private final Curriculum curriculum;
    private final DynamicTemperature temperature;
    private final HeldOutEval eval;
    private final Settings settings;
    private final Path out;
    private final Parallel parallel;
    /** Prompt tokens by task id; filled by whichever thread runs the rollout (one at a time). */
    private final Map<String, int[]> prompts = new ConcurrentHashMap<>();

    /** @param optimizer over {@link #rlParams} of {@code model} */
    public GrpoTrainer(TrainableModel model, Optimizer optimizer, List<RlTask> tasks, ChatTask chat, Verifiers verifiers,
                       Curriculum curriculum, DynamicTemperature temperature, HeldOutEval eval, Settings settings,
                       Path out, Parallel parallel) {
        this(model, StepRunner.local(model, optimizer, NO_AUX_OR_MTP, 0), tasks, chat, verifiers, curriculum, temperature,
                eval, settings, out, parallel);
    }

    /**
     * As above with the steps run by {@code runner} on {@code model} (a cluster's supervisor, whose owners update
     * only {@link #rlParams}, or {@link StepRunner#local}).
     */
    public GrpoTrainer(TrainableModel model, StepRunner runner, List<RlTask> tasks, ChatTask chat, Verifiers verifiers,
                       Curriculum curriculum, DynamicTemperature temperature, HeldOutEval eval, Settings settings,
                       Path out, Parallel parallel) {
        this.model = model;
        this.runner = runner;
        this.tasks = List.copyOf(tasks);
        this.chat = chat;
        this.verifiers = verifiers;
        this.curriculum = curriculum;
        this.temperature = temperature;
        this.eval = eval;
        this.settings = settings;
        this.out = out;
        this.parallel = parallel;
        for (RlTask t : tasks) {
            verifiers.get(t.verifier());
            byId.put(t.id(), t);
        }
    }

    /** The params RL updates: all but the router biases and the MTP layer, which RL freezes. */
    public static List<Param> rlParams(TrainableModel model) {
        return rlParams(model.config(), model.trainableParams());
    }

    /** Of {@code params} (router biases excluded already), those RL updates: all but the MTP layer's. */
    public static List<Param> rlParams(ModelConfig config, List<Param> params) {
        String mtp = "model.layers." + config.mtpLayerIndex() + ".";
        return params.stream().filter(p -> !p.name().startsWith(mtp)).toList();
    }

    public Summary run(Consumer<StepEvent> listener, Consumer<String> decisions) throws IOException {
        Path checkpoints = out.resolve("checkpoints");
        TrainingCheckpoint.Progress at = new TrainingCheckpoint.Progress(0, settings.seed(), 0, 0);
        Optional<Path> latest = TrainingCheckpoint.latest(checkpoints);
        if (latest.isPresent()) {
            at = runner.restore(latest.get());
        }
        Path last = latest.orElse(null);
        double initial = eval.greedy(model.config(), runner.params(), at.step(), parallel).accuracy();
        double accuracy = initial;
        if (curriculum.config().enabled() && at.step() < settings.steps()) {
            estimateDifficulty(at.step(), decisions);
        }
        boolean overlap = settings.rolloutMode() == RolloutMode.ONE_STEP_OFF;
        ExecutorService background = overlap ? Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("conclave-rollouts").daemon().factory()) : null;
        Future<RolloutBatch> next = null;
        try (TrainingLog log = new TrainingLog(out)) {
            if (at.step() == 0) {
                log.record(0, Map.of("held_out_greedy", initial));
            }
            for (long step = at.step() + 1; step <= settings.steps(); step++) {
                long start = System.nanoTime();
                long version = step - 1;
                RolloutBatch rollout = next != null ? collect(next)
                        : rollout(step, version, publish(version), temperature.temperature());
                next = null;
                Prepared prepared = prepare(step, version, rollout, decisions);
                if (overlap && step < settings.steps()) {
                    long following = step + 1;
                    Checkpoint snapshot = publish(version);
                    double tau = temperature.temperature();
                    next = background.submit(() -> rollout(following, version, snapshot, tau));
                }
                Map<String, Double> m = update(prepared);
                m.put("seconds", (System.nanoTime() - start) / 1e9);
                boolean end = step == settings.steps();
                Double heldOut = null;
                if (end || settings.evalEvery() > 0 && step % settings.evalEvery() == 0) {
                    accuracy = eval.greedy(model.config(), runner.params(), step, parallel).accuracy();
                    heldOut = accuracy;
                    m.put("held_out_greedy", accuracy);
                }
                DynamicTemperature.Decision d = temperature.observe((int) step, m.get("mean_reward"),
                        t -> eval.at(model.config(), runner.params(), -1, t, parallel).accuracy());
                if (d != null) {
                    decisions.accept(d.toString());
                }
                log.record(step, m);
                listener.accept(new StepEvent(step, settings.steps(), m.get("mean_reward"), m.get("kept_fraction"),
                        rollout.temperature(), m.get("clip_fraction"), m.get("train_rollout_logprob_abs_diff"), heldOut));
                if (end || settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0) {
                    last = runner.save(checkpoints, new TrainingCheckpoint.Progress(step, settings.seed(), 0, step),
                            settings.saveOptions());
                    log.chart(out.resolve("reward.png"), "GRPO", "reward / accuracy",
                            List.of("mean_reward", "held_out_greedy", "kept_fraction"), List.of("mean_response_tokens"));
                }
            }
        } finally {
            if (background != null) {
                background.shutdownNow();
                awaitTermination(background);
            }
        }
        return new Summary(settings.steps(), initial, accuracy, last);
    }

    /** Prompts per generation call of the difficulty estimate, so a large task file is not one huge batch. */
    private static final int ESTIMATE_CHUNK = 64;

    /**
     * Spec §1.6 step 1, before the first draw: k_small samples of every prompt at the current temperature with the
     * weights the run starts from, so the curriculum's pools exist (the rollouts then keep each prompt's estimate
     * current). A resumed run estimates again on the restored weights.
     */
    private void estimateDifficulty(long version, Consumer<String> decisions) {
        int k = curriculum.config().kSmall();
        double tau = temperature.temperature();
        try (Checkpoint weights = publish(version)) {
            InProcessPipeline pipeline = InProcessPipeline.load(weights, parallel);
            for (int from = 0; from < tasks.size(); from += ESTIMATE_CHUNK) {
                List<RlTask> chunk = tasks.subList(from, Math.min(tasks.size(), from + ESTIMATE_CHUNK));
                List<Rollouts.Completion> done = Rollouts.generate(pipeline, version, chunk.stream().map(this::prompt).toList(),
                        k, tau, settings.maxNewTokens(), chat.stopIds(), -(settings.seed() * 1_000_003L + from), false);
                for (int i = 0; i < chunk.size(); i++) {
                    rewards(chunk.get(i), done.subList(i * k, (i + 1) * k));
                }
            }
        }
        decisions.accept("curriculum: pass@" + k + " of " + tasks.size() + " prompts estimated on weights v" + version
                + " at τ " + tau + "; " + curriculum.rebuild());
    }

    /** An immutable float32 snapshot of the current weights (version {@code version}) for the serving path. */
    private Checkpoint publish(long version) {
        return PublishedWeights.publish(model.config(), runner.params(), version);
    }

    /**
     * Step {@code step}'s rollouts on {@code weights}, the snapshot of {@code version} (closed when done): prompts
     * from the curriculum, K samples each at {@code tau} with their sampled log-probs, rewards, pass statistics, and
     * more prompts until enough groups have mixed rewards or the draw limit is reached.
     */
    private RolloutBatch rollout(long step, long version, Checkpoint weights, double tau) {
        int k = curriculum.groupSize();
        List<RolloutBatch.Group> groups = new ArrayList<>();
        int drawn = 0;
        int kept = 0;
        try (weights) {
            InProcessPipeline pipeline = InProcessPipeline.load(weights, parallel);
            while (kept < settings.promptsPerStep() && drawn < settings.maxPromptDraws()) {
                int n = Math.min(settings.promptsPerStep() - kept, settings.maxPromptDraws() - drawn);
                List<RlTask> batch = curriculum.next(n).stream().map(byId::get).toList();
                List<int[]> batchPrompts = batch.stream().map(this::prompt).toList();
                List<Rollouts.Completion> done = Rollouts.generate(pipeline, version, batchPrompts, k, tau,
                        settings.maxNewTokens(), chat.stopIds(), settings.seed() * 1_000_003L + step * 10_007L + drawn, true);
                for (int i = 0; i < batch.size(); i++) {
                    RlTask task = batch.get(i);
                    List<Rollouts.Completion> group = done.subList(i * k, (i + 1) * k);
                    double[] r = rewards(task, group);
                    groups.add(new RolloutBatch.Group(task, batchPrompts.get(i), List.copyOf(group), r));
                    kept += GroupFilter.keeps(r) ? 1 : 0;
                }
                drawn += batch.size();
            }
        }
        return new RolloutBatch(version, tau, groups, drawn);
    }

    /** The verifier's reward of each completion of a group; the curriculum records which were correct. */
    private double[] rewards(RlTask task, List<Rollouts.Completion> group) {
        double[] r = new double[group.size()];
        boolean[] correct = new boolean[group.size()];
        for (int j = 0; j < group.size(); j++) {
            r[j] = verifiers.get(task.verifier()).score(chat.text(group.get(j).tokens()), task.answer());
            correct[j] = r[j] >= 1;
        }
        curriculum.estimate(task.id(), correct);
        return r;
    }

    /** A step's rollouts made ready for the update: the fresh groups, their advantages and weights. */
    private record Prepared(RolloutBatch rollout, RolloutBatch fresh, GrpoBatch grpo, long version) {
    }

    /** Drops stale samples, computes advantages and weights, and lets the curriculum observe the step. */
    private Prepared prepare(long step, long version, RolloutBatch rollout, Consumer<String> decisions) {
        RolloutBatch fresh = rollout.withoutStale(version, settings.rolloutMode().maxStaleness());
        if (fresh.samples() < rollout.samples()) {
            decisions.accept("step " + step + ": rejected " + (rollout.samples() - fresh.samples())
                    + " samples older than " + settings.rolloutMode().maxStaleness() + " version(s) behind weights v"
                    + version);
        }
        List<double[]> rewards = fresh.groups().stream().map(RolloutBatch.Group::rewards).toList();
        List<int[]> lossTokens = fresh.groups().stream().map(RolloutBatch.Group::lossTokens).toList();
        GrpoBatch grpo = GrpoBatch.of(rewards, lossTokens, settings.stdNorm(), settings.aggregation(), settings.maxNewTokens());
        String switched = curriculum.observe((int) step, grpo.filter());
        if (switched != null) {
            decisions.accept(switched);
        }
        return new Prepared(rollout, fresh, grpo, version);
    }

    /** One optimizer step on the prepared groups; returns the step's metrics. */
    private Map<String, Double> update(Prepared p) {
        GrpoBatch grpo = p.grpo();
        PolicyMetrics pm = new PolicyMetrics();
        StepReport report = runner.step(() -> {
            if (!grpo.kept().isEmpty()) {
                policyGradient(grpo, p.fresh(), pm);
            }
        });
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mean_reward", grpo.meanReward());
        m.put("kept_fraction", grpo.filter().groups() == 0 ? 0 : (double) grpo.filter().kept() / grpo.filter().groups());
        m.put("kept_groups", (double) grpo.kept().size());
        m.put("prompts_drawn", (double) p.rollout().drawn());
        m.put("mean_response_tokens", grpo.meanLossTokens());
        m.put("policy_loss", pm.loss());
        m.put("clip_fraction", pm.clipFraction());
        // Over the kept groups' tokens; a step that kept none has no value (the log leaves NaN out).
        m.put("ratio_min", pm.tokens() == 0 ? Double.NaN : pm.minRatio());
        m.put("ratio_max", pm.tokens() == 0 ? Double.NaN : pm.maxRatio());
        m.put("train_rollout_logprob_abs_diff", pm.tokens() == 0 ? Double.NaN : pm.meanRolloutLogProbAbsDiff());
        m.put("entropy", pm.meanEntropy());
        m.put("rollout_version", (double) p.rollout().version());
        m.put("staleness", (double) (p.version() - p.rollout().version()));
        m.put("stale_samples_rejected", (double) (p.rollout().samples() - p.fresh().samples()));
        m.put("temperature", p.rollout().temperature());
        m.put("grad_norm", report.gradNorm());
        m.put("lr", report.lr());
        return m;
    }

    /**
     * Backpropagates the clipped objective of every kept response: each (prompt + response) is its own
     * document, the logits at position p predict token p + 1, and only the generated tokens carry loss. Log-probs
     * are at the temperature the samples were drawn at; π_old is the sampler's log-prob or the trainer's own.
     */
    private void policyGradient(GrpoBatch grpo, RolloutBatch rollout, PolicyMetrics metrics) {
        Batch.Builder b = new Batch.Builder();
        List<int[]> spans = new ArrayList<>();
        int at = 0;
        for (GrpoBatch.Group g : grpo.kept()) {
            RolloutBatch.Group group = rollout.groups().get(g.index());
            int[] prompt = group.prompt();
            for (int j = 0; j < group.completions().size(); j++) {
                int[] response = group.completions().get(j).tokens();
                if (response.length == 0) {
                    continue;
                }
                int[] doc = new int[prompt.length + response.length];
                System.arraycopy(prompt, 0, doc, 0, prompt.length);
                System.arraycopy(response, 0, doc, prompt.length, response.length);
                boolean[] mask = new boolean[doc.length];
                for (int t = prompt.length; t < doc.length; t++) {
                    mask[t] = true;
                }
                b.add(doc, mask);
                spans.add(new int[] {at + prompt.length, response.length, g.index(), j});
                at += doc.length;
            }
        }
        Batch batch = b.build();
        TrainableModel.Forward f = model.forward(batch, false);
        int vocab = f.vocab();
        double tau = rollout.temperature();
        double[] dLogits = new double[batch.rows() * vocab];
        Map<Integer, GrpoBatch.Group> keptByIndex = new HashMap<>();
        grpo.kept().forEach(g -> keptByIndex.put(g.index(), g));
        for (int[] s : spans) {
            GrpoBatch.Group g = keptByIndex.get(s[2]);
            int j = s[3];
            double[] sampled = rollout.groups().get(s[2]).completions().get(j).logProbs();
            for (int t = 0; t < s[1]; t++) {
                int row = s[0] + t - 1;
                int token = batch.tokens()[s[0] + t];
                double train = PolicyLoss.logProb(f.logits(), row * vocab, vocab, tau, token);
                metrics.addRolloutLogProb(train, sampled[t]);
                double old = settings.useRolloutLogProbs() ? sampled[t] : train;
                settings.loss().token(f.logits(), row * vocab, vocab, tau, token, old, g.advantages()[j], g.weights()[j],
                        dLogits, row * vocab, metrics);
            }
        }
        model.backward(dLogits, null, 0);
    }

    private static RolloutBatch collect(Future<RolloutBatch> rollout) {
        try {
            return rollout.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the next rollout", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the overlapped rollout failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static void awaitTermination(ExecutorService background) {
        try {
            if (!background.awaitTermination(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the rollout thread did not stop within 10 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int[] prompt(RlTask task) {
        return prompts.computeIfAbsent(task.id(), id -> chat.prompt(task));
    }
}
