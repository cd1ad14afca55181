package dev.conclave.cli;

import dev.conclave.actors.TrainingHead;
import dev.conclave.actors.TrainingSupervisor;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.placement.PlacementLoader;
import dev.conclave.training.loop.SftRun;
import dev.conclave.training.loop.SftTrainer;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.OptimizerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conclave train sft}: supervised training of a checkpoint, or of a config from scratch, on chat or
 * plain-text JSONL. Writes {@code metrics.jsonl}, {@code loss.png}, {@code expert-load.png} and
 * checkpoints into {@code --out}; running it again on the same folder resumes. With {@code --cluster} the steps
 * run through the placement's cluster: this process is the head and the routed experts live on their nodes.
 */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Supervised fine-tuning (or training from scratch) with Muon + AdamW, loss-free balancing and the MTP loss.")
final class TrainSftCommand implements Callable<Integer> {

    /** How long the head waits for every expert owner to join, and for one owner's answer. */
    private static final Duration JOIN_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration OWNER_TIMEOUT = Duration.ofSeconds(60);

    @Spec
    CommandSpec spec;

    static final class Start {
        @Option(names = "--model", description = "checkpoint directory to fine-tune (tokenizer and chat template beside it)")
        Path model;

        @Option(names = "--config", description = "config.json of a model to train from random initialisation")
        Path config;
    }

    @ArgGroup(multiplicity = "1")
    Start start;

    static final class Data {
        @Option(names = "--data", description = "chat JSONL: one {\"messages\": [...], \"tools\"?: [...]} per line")
        Path chat;

        @Option(names = "--text", description = "plain-text JSONL: one {\"text\": ...} per line (pre-training rows)")
        Path text;
    }

    @ArgGroup(multiplicity = "1")
    Data data;

    @Option(names = "--tokenizer", description = "directory with tokenizer.json and the chat template (default: --model)")
    Path tokenizer;

    @Option(names = "--held-out", description = "RL task JSONL scored greedily during and after training")
    Path heldOut;

    @Option(names = "--out", required = true, description = "output directory (metrics, charts, checkpoints); resumes if it has checkpoints")
    Path out;

    @Option(names = "--steps", defaultValue = "500", description = "optimizer steps (default ${DEFAULT-VALUE})")
    long steps;

    @Option(names = "--row-length", defaultValue = "256", description = "tokens per packed row (default ${DEFAULT-VALUE})")
    int rowLength;

    @Option(names = "--rows", defaultValue = "8", description = "packed rows per micro-batch (default ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--accumulation", defaultValue = "1", description = "micro-batches per optimizer step (default ${DEFAULT-VALUE})")
    int accumulation;

    @Option(names = "--lr", defaultValue = "3e-3", description = "peak learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--warmup", defaultValue = "0.05", description = "warm-up as a fraction of the steps (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--optimizer", defaultValue = "muon", description = "muon (Muon for matrices, AdamW else) or adamw (default ${DEFAULT-VALUE})")
    String optimizer;

    @Option(names = "--aux-weight", defaultValue = "1e-4", description = "sequence-level balance loss weight, 0 off (default ${DEFAULT-VALUE})")
    double auxWeight;

    @Option(names = "--mtp-weight", defaultValue = "0.3", description = "MTP loss weight λ, 0 off (default ${DEFAULT-VALUE})")
    double mtpWeight;

    @Option(names = "--bias-rate", defaultValue = "1e-3", description = "loss-free balancing bias update rate, 0 off (default ${DEFAULT-VALUE})")
    double biasRate;

    @Option(names = "--seed", defaultValue = "1", description = "initialisation and data-order seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--eval-every", defaultValue = "0", description = "held-out evaluation interval in steps, 0 only at the end")
    int evalEvery;

    @Mixin
    TrainRunOptions run;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "token budget of each held-out answer (default ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Override
    public Integer call() throws Exception {
        if (!optimizer.equals("muon") && !optimizer.equals("adamw")) {
            throw new IllegalArgumentException("--optimizer must be muon or adamw, got " + optimizer);
        }
        PrintWriter w = spec.commandLine().getOut();
        SftTrainer.Settings settings = new SftTrainer.Settings(steps, rows, accumulation,
                new TrainableModel.LossWeights(auxWeight, mtpWeight), biasRate, seed, evalEvery, run.checkpointEvery, null);
        SftRun.Options options = new SftRun.Options(start.model, start.config, tokenizer, data.chat, data.text, heldOut,
                out, rowLength, lr, warmup, optimizer.equals("muon"), run.dtype, maxNewTokens, settings);
        SftTrainer.Summary s;
        try (Parallel parallel = Parallel.create(run.threadCount()); TrainingProgress progress = new TrainingProgress("Training", steps, run.quiet, w)) {
            s = SftRun.run(options, parallel, e -> progress.step(e.step(), e.totalSteps(),
                    String.format(Locale.ROOT, "loss %.4f · %.0f tok/s%s", e.loss(), e.tokensPerSecond(),
                            e.heldOutAccuracy() == null ? "" : String.format(Locale.ROOT, " · held-out %.3f", e.heldOutAccuracy())),
                    e.step() % 10 == 0 || e.step() == e.totalSteps() || e.heldOutAccuracy() != null),
                    run.cluster == null ? null : this::startHead);
        }
        w.printf(Locale.ROOT, "done: %d steps; held-out greedy accuracy %.3f; MTP next-next-token top-1 %.3f;"
                        + " busiest expert / mean per MoE layer %s%ncheckpoint: %s%ncharts: %s, %s%n",
                s.steps(), s.heldOutAccuracy(), s.mtpTop1(), Arrays.toString(Arrays.stream(s.maxOverMean())
                        .mapToObj(v -> String.format(Locale.ROOT, "%.2f", v)).toArray()),
                s.checkpoint(), out.resolve("loss.png"), out.resolve("expert-load.png"));
        return 0;
    }

    /** The head of a cluster run: waits for the expert owners, then runs the supervisor. */
    private SftRun.Launched startHead(Path model, OptimizerConfig optimizer, SftTrainer.Settings settings, Parallel parallel) {
        TrainingHead head = TrainingHead.start(PlacementLoader.load(run.cluster), model, optimizer,
                new TrainingSupervisor.Settings(settings.weights(), settings.biasUpdateRate(), OWNER_TIMEOUT), parallel, JOIN_TIMEOUT);
        return new SftRun.Launched(head.model(), head, head);
    }
}
