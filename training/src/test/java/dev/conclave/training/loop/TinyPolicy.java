package dev.conclave.training.loop;

import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.text.tokenizer.GlmTokenizerFiles;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.tasks.Addition;
import dev.conclave.training.tasks.Split;
import dev.conclave.training.tasks.TaskFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A policy for GRPO tests that is sometimes right, so that groups have mixed rewards: a tiny model (one dense
 * layer, one MoE layer and the MTP layer, 4 routed experts top-2) after 100 SFT steps on one-digit addition,
 * with its tokenizer and chat template beside the checkpoint, and an RL task file of 60 additions.
 */
public record TinyPolicy(ModelConfig config, Path checkpoint, Path tasks) {

    /** Trains it under {@code dir}. */
    public static TinyPolicy afterSft(Path dir) throws IOException {
        Addition task = Addition.correct(1);
        Path sft = dir.resolve("train.jsonl");
        Path rl = dir.resolve("rl.jsonl");
        TaskFiles.writeSft(task, 300, 1, Split.ALL, sft);
        TaskFiles.writeRl(task, 60, 2, Split.ALL, rl);
        Path tok = dir.resolve("tokenizer");
        GlmTokenizerFiles.train(List.of(sft), 300, tok);
        int vocab = Tokenizer.load(tok.resolve("tokenizer.json")).idBound();
        ModelConfig c = new ModelConfig("glm4_moe", vocab, 64, 2, 2, 1, 32, 128, 64, 4, 1, 2, 1, 1, 1, true, 2.5, 10_000,
                0.5, true, true, 1e-5, 128, false, 1, null, List.of(vocab - 1), "float32");
        Path config = dir.resolve("config.json");
        Files.writeString(config, ConfigWriter.toJson(c, DType.F32));
        try (Parallel parallel = Parallel.create(2)) {
            SftTrainer.Summary base = SftRun.run(new SftRun.Options(null, config, tok, sft, null, null, dir.resolve("sft"), 128,
                    3e-3, 0.1, true, DType.F32, 6, new SftTrainer.Settings(100, 4, 1, new TrainableModel.LossWeights(1e-4, 0.3),
                            1e-3, 1, 0, 0, null)), parallel, e -> { });
            return new TinyPolicy(c, base.checkpoint(), rl);
        }
    }
}
