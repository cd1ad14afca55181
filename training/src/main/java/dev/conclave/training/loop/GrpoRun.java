package dev.conclave.training.loop;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.AdamW;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Muon;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.rl.Curriculum;
import dev.conclave.training.rl.DynamicTemperature;
import dev.conclave.training.rl.Verifiers;
import dev.conclave.training.tasks.RlTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code conclave train grpo} as a library call: a checkpoint (usually an SFT result) with its tokenizer and
 * chat template, an RL task file, a held-out task file, AdamW (0.9, 0.98) at a constant learning rate,
 * and the {@link GrpoTrainer}, in this process or through a cluster's training head.
 */
public final class GrpoRun {

    /**
     * @param verifier when set, overrides every task's own verifier name
     * @param weightDecay AdamW's decoupled weight decay (the spec's RL default 0.1; tiny models prefer 0)
     */
    public record Options(Path model, Path tasks, Path heldOut, String verifier, Path out, double lr, double weightDecay,
                          double temperature, boolean dynamicTemperature, boolean curriculum, DType saveDtype,
                          GrpoTrainer.Settings settings) {
    }

    /**
     * Starts the run's model and step runner somewhere other than this process alone (a cluster's training head
     * whose owners update only {@link GrpoTrainer#rlParams}), from the checkpoint every node loads.
     */
    @FunctionalInterface
    public interface Launcher {
        SftRun.Launched start(Path modelDir, OptimizerConfig optimizer, Parallel parallel);
    }

    private GrpoRun() {}

    public static GrpoTrainer.Summary run(Options o, Parallel parallel, Consumer<GrpoTrainer.StepEvent> listener,
                                          Consumer<String> decisions) throws IOException {
        return run(o, parallel, listener, decisions, null);
    }

    /** As {@link #run(Options, Parallel, Consumer, Consumer)}, the model trained through {@code launcher} unless null. */
    public static GrpoTrainer.Summary run(Options o, Parallel parallel, Consumer<GrpoTrainer.StepEvent> listener,
                                          Consumer<String> decisions, Launcher launcher) throws IOException {
        Tokenizer tokenizer = Tokenizer.load(o.model().resolve("tokenizer.json"));
        ChatTask chat = new ChatTask(ChatTemplate.load(o.model()), tokenizer);
        List<RlTask> tasks = withVerifier(RlTask.read(o.tasks()), o.verifier());
        List<RlTask> heldOut = withVerifier(RlTask.read(o.heldOut()), o.verifier());
        Verifiers verifiers = Verifiers.standard();
        AdamW.Settings rl = AdamW.Settings.rl();
        OptimizerConfig oc = new OptimizerConfig(false, false, true, Muon.Settings.glm45(),
                new AdamW.Settings(rl.beta1(), rl.beta2(), rl.eps(), o.weightDecay()), 1.0, LrSchedule.constant(o.lr()));
        GrpoTrainer.Settings s = o.settings();
        Curriculum curriculum = new Curriculum(o.curriculum() ? Curriculum.Config.defaults() : Curriculum.Config.disabled(),
                tasks.stream().map(RlTask::id).toList(), s.seed());
        DynamicTemperature temperature = new DynamicTemperature(o.dynamicTemperature()
                ? withInitial(DynamicTemperature.Config.defaults(), o.temperature())
                : DynamicTemperature.Config.fixed(o.temperature()));
        HeldOutEval eval = new HeldOutEval(heldOut, chat, verifiers, s.maxNewTokens());
        Files.createDirectories(o.out());
        GrpoTrainer.Settings settings = new GrpoTrainer.Settings(s.steps(), s.promptsPerStep(), s.maxPromptDraws(),
                s.maxNewTokens(), s.stdNorm(), s.aggregation(), s.loss(), s.seed(), s.evalEvery(), s.checkpointEvery(),
                new HfCheckpointWriter.Options(o.saveDtype(), 5_000_000_000L, true, o.model()), s.rolloutMode(),
                s.useRolloutLogProbs());
        if (launcher == null) {
            TrainableModel model;
            try (Checkpoint c = Checkpoint.open(o.model())) {
                model = TrainableModel.load(c, parallel);
            }
            return new GrpoTrainer(model, new Optimizer(GrpoTrainer.rlParams(model), oc), tasks, chat, verifiers, curriculum,
                    temperature, eval, settings, o.out(), parallel).run(listener, decisions);
        }
        SftRun.Launched launched = launcher.start(o.model(), oc, parallel);
        try {
            return new GrpoTrainer(launched.model(), launched.runner(), tasks, chat, verifiers, curriculum, temperature, eval,
                    settings, o.out(), parallel).run(listener, decisions);
        } finally {
            try {
                launched.resources().close();
            } catch (Exception e) {
                throw new IOException("closing the training cluster's head: " + e.getMessage(), e);
            }
        }
    }

    private static List<RlTask> withVerifier(List<RlTask> tasks, String verifier) {
        if (verifier == null) {
            return tasks;
        }
        return tasks.stream().map(t -> new RlTask(t.id(), t.prompt(), t.tools(), verifier, t.answer())).toList();
    }

    private static DynamicTemperature.Config withInitial(DynamicTemperature.Config c, double initial) {
        return new DynamicTemperature.Config(true, initial, c.step(), Math.max(c.max(), initial), c.window(), c.minSlope(),
                c.checkEvery(), c.tolerance());
    }
}
