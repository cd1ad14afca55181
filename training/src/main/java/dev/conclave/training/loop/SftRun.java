package dev.conclave.training.loop;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ConfigLoader;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.data.BestFitPacker;
import dev.conclave.training.data.ChatSample;
import dev.conclave.training.data.DataException;
import dev.conclave.training.data.Document;
import dev.conclave.training.data.PackedRow;
import dev.conclave.training.data.PretrainText;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.rl.Verifiers;
import dev.conclave.training.tasks.RlTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * {@code conclave train sft} as a library call: the model (a checkpoint, or a config initialised from
 * scratch), the tokenizer and chat template beside it, the data (chat JSONL or plain-text JSONL), packed
 * rows with 5 % of the documents held out for validation, Muon + AdamW on a warm-up + cosine schedule,
 * and the {@link SftTrainer}.
 */
public final class SftRun {

    /**
     * Where things are and how to train. Exactly one of {@code model} (a checkpoint directory) and
     * {@code config} (a config.json to initialise from scratch) is set; {@code tokenizerDir} holds
     * tokenizer.json and the chat template (defaults to the model directory); {@code heldOutTasks} (optional)
     * is an RL task file scored greedily.
     */
    public record Options(Path model, Path config, Path tokenizerDir, Path chatData, Path textData, Path heldOutTasks,
                          Path out, int rowLength, double lr, double warmupFraction, boolean muon, DType saveDtype,
                          int maxNewTokens, SftTrainer.Settings settings) {
    }

    /**
     * Starts the run's model and step runner somewhere other than this process alone (a cluster's training head),
     * from the checkpoint every node loads.
     */
    @FunctionalInterface
    public interface Launcher {
        Launched start(Path modelDir, OptimizerConfig optimizer, SftTrainer.Settings settings, Parallel parallel);
    }

    /** The model whose forward runs here, who runs its steps, and what to close after the run. */
    public record Launched(TrainableModel model, StepRunner runner, AutoCloseable resources) {
    }

    private SftRun() {}

    public static SftTrainer.Summary run(Options o, Parallel parallel, SftTrainer.Listener listener) throws IOException {
        return run(o, parallel, listener, null);
    }

    /** As {@link #run(Options, Parallel, SftTrainer.Listener)}, the model trained through {@code launcher} unless null. */
    public static SftTrainer.Summary run(Options o, Parallel parallel, SftTrainer.Listener listener, Launcher launcher)
            throws IOException {
        if ((o.model() == null) == (o.config() == null)) {
            throw new IllegalArgumentException("give exactly one of a model directory and a config.json");
        }
        if ((o.chatData() == null) == (o.textData() == null)) {
            throw new IllegalArgumentException("give exactly one of chat data and text data");
        }
        Path tokDir = o.tokenizerDir() != null ? o.tokenizerDir() : o.model();
        if (tokDir == null) {
            throw new IllegalArgumentException("training from a config needs the tokenizer directory");
        }
        Tokenizer tokenizer = Tokenizer.load(tokDir.resolve("tokenizer.json"));
        ChatTemplate template = ChatTemplate.load(tokDir);
        ChatTask chat = new ChatTask(template, tokenizer);

        long steps = o.settings().steps();
        LrSchedule schedule = new LrSchedule(o.lr(), o.lr() / 10, Math.round(steps * o.warmupFraction()), steps);
        OptimizerConfig oc = o.muon() ? OptimizerConfig.pretraining(schedule) : OptimizerConfig.sft(schedule);
        if (launcher != null && o.model() == null) {
            throw new IllegalArgumentException("training through a cluster starts from a checkpoint that every node loads:"
                    + " give a model directory (`conclave random-model` makes one from a config)");
        }
        List<Document> docs = new ArrayList<>();
        if (o.chatData() != null) {
            for (ChatSample s : ChatSample.read(o.chatData())) {
                Document d = chat.renderer().render(s);
                if (d.maskedTokens() > 0) {
                    docs.add(d);
                }
            }
        } else {
            docs.addAll(PretrainText.read(o.textData(), tokenizer));
        }
        if (docs.size() < 20) {
            throw new DataException((o.chatData() != null ? o.chatData() : o.textData()) + ": " + docs.size()
                    + " trainable documents; need at least 20 (5 % are held out for validation)");
        }
        Collections.shuffle(docs, new Random(o.settings().seed()));
        int validation = Math.max(1, docs.size() / 20);
        int pad = tokenizer.tokenToId("<|endoftext|>").orElse(0);
        BestFitPacker packer = new BestFitPacker(o.rowLength(), pad);
        List<PackedRow> heldOutRows = packer.pack(docs.subList(0, validation));
        List<PackedRow> rows = packer.pack(docs.subList(validation, docs.size()));

        HeldOutEval eval = null;
        if (o.heldOutTasks() != null) {
            eval = new HeldOutEval(RlTask.read(o.heldOutTasks()), chat, Verifiers.standard(), o.maxNewTokens());
        }
        Files.createDirectories(o.out());
        SftTrainer.Settings s = o.settings();
        SftTrainer.Settings settings = new SftTrainer.Settings(s.steps(), s.rowsPerMicroBatch(), s.accumulation(),
                s.weights(), s.biasUpdateRate(), s.seed(), s.evalEvery(), s.checkpointEvery(),
                new HfCheckpointWriter.Options(o.saveDtype(), 5_000_000_000L, true, tokDir));
        if (launcher == null) {
            TrainableModel model = localModel(o, tokenizer, parallel);
            StepRunner local = StepRunner.local(model, new Optimizer(model.trainableParams(), oc), settings.weights(),
                    settings.biasUpdateRate());
            return new SftTrainer(model, local, rows, heldOutRows, eval, settings, o.out(), parallel).run(listener);
        }
        Launched launched = launcher.start(o.model(), oc, settings, parallel);
        try {
            return new SftTrainer(launched.model(), launched.runner(), rows, heldOutRows, eval, settings, o.out(), parallel)
                    .run(listener);
        } finally {
            try {
                launched.resources().close();
            } catch (Exception e) {
                throw new IOException("closing the training cluster's head: " + e.getMessage(), e);
            }
        }
    }

    /** The checkpoint's model, or the config's initialised at random with the run's seed. */
    private static TrainableModel localModel(Options o, Tokenizer tokenizer, Parallel parallel) {
        if (o.model() != null) {
            try (Checkpoint c = Checkpoint.open(o.model())) {
                return TrainableModel.load(c, parallel);
            }
        } else {
            ModelConfig config = ConfigLoader.load(o.config());
            if (tokenizer.idBound() > config.vocabSize()) {
                throw new IllegalArgumentException(o.config() + ": vocab_size " + config.vocabSize()
                        + " is smaller than the tokenizer's " + tokenizer.idBound() + " ids");
            }
            return TrainableModel.random(config, o.settings().seed(), parallel);
        }
    }
}
