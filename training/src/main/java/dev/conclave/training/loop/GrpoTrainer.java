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
import java.util.function.Consumer;

/**
 * GRPO as GLM-4.5 runs it (training spec §1): each step publishes the current weights to the serving path,
 * samples K responses per prompt at temperature τ, scores them with the tasks' verifiers, drops groups
 * whose rewards are all equal and draws more prompts until enough groups survive (dynamic sampling),
 * computes group-relative advantages, and takes one optimizer step on the clipped policy loss
 * (ε 0.2 / 0.28, no KL, token-mean over every generated token of the step). Synchronous and on-policy:
 * the old log-probs are the current weights' (slime's default recomputes them with the trainer; with one
 * optimizer step per rollout batch the ratio is exactly 1 and the gradient the clipped objective's).
 * Router bias updates, the balance loss and the MTP loss are frozen (spec §1.10). The optimizer steps and
 * checkpoints go through a {@link StepRunner} (this process, or a cluster whose routed experts live on their
 * owner nodes); the rollouts and evaluations publish every param it gathers.
 */
public final class GrpoTrainer {

    /** One run's shape; {@code evalEvery} 0 evaluates only at the start and the end. */
    public record Settings(long steps, int promptsPerStep, int maxPromptDraws, int maxNewTokens, boolean stdNorm,
                           Aggregation aggregation, PolicyLoss loss, long seed, int evalEvery, int checkpointEvery,
                           HfCheckpointWriter.Options saveOptions) {
        public Settings {
            if (steps < 1 || promptsPerStep < 1 || maxPromptDraws < promptsPerStep || maxNewTokens < 1
                    || evalEvery < 0 || checkpointEvery < 0) {
                throw new IllegalArgumentException("bad GRPO settings: " + this);
            }
        }
    }

    /** One step for the progress display. */
    public record StepEvent(long step, long totalSteps, double meanReward, double keptFraction, double temperature,
                            Double heldOutAccuracy) {
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
    private final Map<String, int[]> prompts = new HashMap<>();

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
        try (TrainingLog log = new TrainingLog(out)) {
            if (at.step() == 0) {
                log.record(0, Map.of("held_out_greedy", initial));
            }
            for (long step = at.step() + 1; step <= settings.steps(); step++) {
                long start = System.nanoTime();
                Map<String, Double> m = step(step, decisions);
                m.put("seconds", (System.nanoTime() - start) / 1e9);
                boolean end = step == settings.steps();
                Double heldOut = null;
                if (end || settings.evalEvery() > 0 && step % settings.evalEvery() == 0) {
                    accuracy = eval.greedy(model.config(), runner.params(), step, parallel).accuracy();
                    heldOut = accuracy;
                    m.put("held_out_greedy", accuracy);
                }
                double tau = temperature.temperature();
                DynamicTemperature.Decision d = temperature.observe((int) step, m.get("mean_reward"),
                        t -> eval.at(model.config(), runner.params(), -1, t, parallel).accuracy());
                if (d != null) {
                    decisions.accept(d.toString());
                }
                m.put("temperature", tau);
                log.record(step, m);
                listener.accept(new StepEvent(step, settings.steps(), m.get("mean_reward"), m.get("kept_fraction"), tau, heldOut));
                if (end || settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0) {
                    last = runner.save(checkpoints, new TrainingCheckpoint.Progress(step, settings.seed(), 0, step),
                            settings.saveOptions());
                    log.chart(out.resolve("reward.png"), "GRPO", "reward / accuracy",
                            List.of("mean_reward", "held_out_greedy", "kept_fraction"), List.of("mean_response_tokens"));
                }
            }
        }
        return new Summary(settings.steps(), initial, accuracy, last);
    }

    /** Rollouts, rewards, filtering and one optimizer step; returns the step's metrics. */
    private Map<String, Double> step(long step, Consumer<String> decisions) {
        double tau = temperature.temperature();
        int k = curriculum.groupSize();
        List<RlTask> chosen = new ArrayList<>();
        List<List<Rollouts.Completion>> groups = new ArrayList<>();
        List<double[]> rewards = new ArrayList<>();
        List<int[]> lossTokens = new ArrayList<>();
        int drawn = 0;
        int kept = 0;
        try (Checkpoint weights = PublishedWeights.publish(model.config(), runner.params(), step)) {
            InProcessPipeline pipeline = InProcessPipeline.load(weights, parallel);
            while (kept < settings.promptsPerStep() && drawn < settings.maxPromptDraws()) {
                int n = Math.min(settings.promptsPerStep() - kept, settings.maxPromptDraws() - drawn);
                List<RlTask> batch = curriculum.next(n).stream().map(byId::get).toList();
                List<int[]> batchPrompts = batch.stream().map(this::prompt).toList();
                List<Rollouts.Completion> done = Rollouts.generate(pipeline, batchPrompts, k, tau, settings.maxNewTokens(),
                        chat.stopIds(), settings.seed() * 1_000_003L + step * 10_007L + drawn);
                for (int i = 0; i < batch.size(); i++) {
                    RlTask task = batch.get(i);
                    double[] r = new double[k];
                    int[] len = new int[k];
                    boolean[] correct = new boolean[k];
                    List<Rollouts.Completion> group = done.subList(i * k, (i + 1) * k);
                    for (int j = 0; j < k; j++) {
                        r[j] = verifiers.get(task.verifier()).score(chat.text(group.get(j).tokens()), task.answer());
                        len[j] = group.get(j).tokens().length;
                        correct[j] = r[j] >= 1;
                    }
                    curriculum.estimate(task.id(), correct);
                    chosen.add(task);
                    groups.add(group);
                    rewards.add(r);
                    lossTokens.add(len);
                    kept += GroupFilter.keeps(r) ? 1 : 0;
                }
                drawn += batch.size();
            }
        }
        GrpoBatch grpo = GrpoBatch.of(rewards, lossTokens, settings.stdNorm(), settings.aggregation(), settings.maxNewTokens());
        String switched = curriculum.observe((int) step, grpo.filter());
        if (switched != null) {
            decisions.accept(switched);
        }
        PolicyMetrics pm = new PolicyMetrics();
        StepReport report = runner.step(() -> {
            if (!grpo.kept().isEmpty()) {
                policyGradient(grpo, groups, chosen, tau, pm);
            }
        });
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mean_reward", grpo.meanReward());
        m.put("kept_fraction", grpo.filter().groups() == 0 ? 0 : (double) grpo.filter().kept() / grpo.filter().groups());
        m.put("kept_groups", (double) grpo.kept().size());
        m.put("prompts_drawn", (double) drawn);
        m.put("mean_response_tokens", grpo.meanLossTokens());
        m.put("policy_loss", pm.loss());
        m.put("clip_fraction", pm.clipFraction());
        m.put("entropy", pm.meanEntropy());
        m.put("grad_norm", report.gradNorm());
        m.put("lr", report.lr());
        return m;
    }

    /**
     * Backpropagates the clipped objective of every kept response: each (prompt + response) is its own
     * document, the logits at position p predict token p + 1, and only the generated tokens carry loss.
     */
    private void policyGradient(GrpoBatch grpo, List<List<Rollouts.Completion>> groups, List<RlTask> chosen,
                                double tau, PolicyMetrics metrics) {
        Batch.Builder b = new Batch.Builder();
        List<int[]> spans = new ArrayList<>();
        int at = 0;
        for (GrpoBatch.Group g : grpo.kept()) {
            int[] prompt = prompt(chosen.get(g.index()));
            List<Rollouts.Completion> group = groups.get(g.index());
            for (int j = 0; j < group.size(); j++) {
                int[] response = group.get(j).tokens();
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
                spans.add(new int[] {at + prompt.length, response.length, g.index(), j, spans.size()});
                at += doc.length;
            }
        }
        Batch batch = b.build();
        TrainableModel.Forward f = model.forward(batch, false);
        int vocab = f.vocab();
        double[] dLogits = new double[batch.rows() * vocab];
        Map<Integer, GrpoBatch.Group> keptByIndex = new HashMap<>();
        grpo.kept().forEach(g -> keptByIndex.put(g.index(), g));
        for (int[] s : spans) {
            GrpoBatch.Group g = keptByIndex.get(s[2]);
            int j = s[3];
            for (int t = 0; t < s[1]; t++) {
                int row = s[0] + t - 1;
                int sampled = batch.tokens()[s[0] + t];
                double old = PolicyLoss.logProb(f.logits(), row * vocab, vocab, tau, sampled);
                settings.loss().token(f.logits(), row * vocab, vocab, tau, sampled, old, g.advantages()[j], g.weights()[j],
                        dLogits, row * vocab, metrics);
            }
        }
        model.backward(dLogits, null, 0);
    }

    private int[] prompt(RlTask task) {
        return prompts.computeIfAbsent(task.id(), id -> chat.prompt(task));
    }
}
