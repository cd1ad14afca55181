package dev.conclave.cli;

import dev.conclave.actors.TrainingHead;
import dev.conclave.actors.TrainingSupervisor;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.placement.PlacementLoader;
import dev.conclave.training.loop.GrpoRun;
import dev.conclave.training.loop.GrpoTrainer;
import dev.conclave.training.loop.SftRun;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.rl.Aggregation;
import dev.conclave.training.rl.PolicyLoss;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conclave train grpo}: reinforcement learning with verifiable rewards on a checkpoint. Writes
 * {@code metrics.jsonl}, {@code reward.png} and checkpoints into {@code --out}; running it again resumes. With
 * {@code --cluster} the optimizer steps run through the placement's cluster: this process is the head, the routed
 * experts live on their nodes, and each step's rollouts publish the weights gathered from every owner. {@code --async}
 * works the same with or without {@code --cluster}: the overlapped rollout only reads the snapshot this process
 * published.
 */
@Command(name = "grpo", mixinStandardHelpOptions = true,
        description = "GRPO with verifiable rewards (no KL, clip 0.2/0.28, token-mean loss, dynamic sampling).")
final class TrainGrpoCommand implements Callable<Integer> {

    /** How long the head waits for every expert owner to join, and for one owner's answer. */
    private static final Duration JOIN_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration OWNER_TIMEOUT = Duration.ofSeconds(60);

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "checkpoint directory (tokenizer and chat template beside it)")
    Path model;

    @Option(names = "--tasks", required = true, description = "RL task JSONL: {\"id\", \"prompt\", \"tools\"?, \"verifier\", \"answer\"}")
    Path tasks;

    @Option(names = "--held-out", required = true, description = "RL task JSONL scored greedily (pass@1) during training")
    Path heldOut;

    @Option(names = "--verifier", description = "verifier for every task instead of each task's own (e.g. exact_match, numeric, sorted_list, tool_call, 0.8*tool_call+0.2*tool_call_format)")
    String verifier;

    @Option(names = "--out", required = true, description = "output directory (metrics, reward.png, checkpoints); resumes if it has checkpoints")
    Path out;

    @Option(names = "--steps", defaultValue = "100", description = "RL steps (default ${DEFAULT-VALUE})")
    long steps;

    @Option(names = "--prompts", defaultValue = "16", description = "kept groups per step (default ${DEFAULT-VALUE})")
    int prompts;

    @Option(names = "--max-draws", defaultValue = "48", description = "most prompts drawn per step while refilling dropped groups (default ${DEFAULT-VALUE})")
    int maxDraws;

    @Option(names = "--max-new-tokens", defaultValue = "16", description = "token budget of each response (default ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "sampling temperature τ (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--dynamic-temperature", description = "raise τ on a reward plateau as the spec's rule says")
    boolean dynamicTemperature;

    @Option(names = "--curriculum", description = "two-stage difficulty curriculum (moderate, then pass@8 = 0 prompts)")
    boolean curriculum;

    @Option(names = "--lr", defaultValue = "3e-4", description = "AdamW learning rate, constant (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--eps-low", defaultValue = "0.2", description = "ε_low of the clip (default ${DEFAULT-VALUE})")
    double epsLow;

    @Option(names = "--eps-high", defaultValue = "0.28", description = "ε_high of the clip (default ${DEFAULT-VALUE})")
    double epsHigh;

    @Option(names = "--aggregation", defaultValue = "token-mean", description = "token-mean, sequence-mean or constant (default ${DEFAULT-VALUE})")
    String aggregation;

    @Option(names = "--no-std-norm", description = "advantages r − mean without the std division (the paper's formula, Dr. GRPO)")
    boolean noStdNorm;

    @Option(names = "--seed", defaultValue = "1", description = "sampling seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--eval-every", defaultValue = "10", description = "held-out evaluation interval in steps (default ${DEFAULT-VALUE})")
    int evalEvery;

    @Option(names = "--use-rollout-logprobs", description = "π_old from the sampler's recorded log-probs instead of the trainer's recomputation")
    boolean useRolloutLogProbs;

    @Option(names = "--async", description = "one-step-off rollouts: step r+1's samples are generated on another thread while step r updates (one version stale; π_old is the sampler's log-probs)")
    boolean async;

    @Mixin
    TrainRunOptions run;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        GrpoTrainer.Settings settings = new GrpoTrainer.Settings(steps, prompts, maxDraws, maxNewTokens, !noStdNorm,
                Aggregation.parse(aggregation), new PolicyLoss(epsLow, epsHigh), seed, evalEvery, run.checkpointEvery, null,
                async ? GrpoTrainer.RolloutMode.ONE_STEP_OFF : GrpoTrainer.RolloutMode.SYNC, useRolloutLogProbs || async);
        GrpoRun.Options options = new GrpoRun.Options(model, tasks, heldOut, verifier, out, lr, weightDecay, temperature,
                dynamicTemperature, curriculum, run.dtype, settings);
        GrpoTrainer.Summary s;
        try (Parallel parallel = Parallel.create(run.threadCount()); TrainingProgress progress = new TrainingProgress("GRPO", steps, run.quiet, w)) {
            s = GrpoRun.run(options, parallel, e -> progress.step(e.step(), e.totalSteps(),
                    String.format(Locale.ROOT, "reward %.3f · kept %.2f · τ %.2f · clip %.3f · |Δlogp| %.1e%s",
                            e.meanReward(), e.keptFraction(), e.temperature(), e.clipFraction(), e.rolloutLogProbAbsDiff(),
                            e.heldOutAccuracy() == null ? ""
                                    : String.format(Locale.ROOT, " · held-out %.3f", e.heldOutAccuracy())), true),
                    d -> {
                        w.println(d);
                        w.flush();
                    }, run.cluster == null ? null : this::startHead);
        }
        w.printf(Locale.ROOT, "done: %d steps; held-out greedy accuracy %.3f -> %.3f%ncheckpoint: %s%nchart: %s%n",
                s.steps(), s.initialAccuracy(), s.finalAccuracy(), s.checkpoint(), out.resolve("reward.png"));
        return 0;
    }

    /** The head of a cluster run: waits for the expert owners, then runs the supervisor with RL's frozen params. */
    private SftRun.Launched startHead(Path model, OptimizerConfig optimizer, Parallel parallel) {
        TrainingHead head = TrainingHead.start(PlacementLoader.load(run.cluster), model, optimizer,
                TrainingSupervisor.Settings.rl(OWNER_TIMEOUT), parallel, JOIN_TIMEOUT);
        return new SftRun.Launched(head.model(), head, head);
    }
}
