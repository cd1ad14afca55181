package dev.conclave.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's from-scratch proof at CI size: a GLM-4.5-architecture MoE + MTP model initialised at random
 * learns two-digit addition (reversed answers) as chat turns through the GLM template and a BPE tokenizer
 * trained on the corpus, scored greedily on held-out problems through the serving engine. The full-size
 * run (three digits, ten minutes) is {@code conclave train sft}; see docs/BENCHMARKS.md.
 */
class SftFromScratchTest {

    /** hidden 128, 2 layers (dense, then MoE 8 experts top-2 + 1 shared), MTP layer, vocab = tokenizer's. */
    static ModelConfig additionModel(int vocab) {
        return new ModelConfig("glm4_moe", vocab, 128, 2, 4, 2, 32, 384, 128, 8, 1, 2, 1, 1, 1, true, 2.5, 10_000,
                0.5, true, true, 1e-5, 256, false, 1, null, List.of(vocab - 1), "float32");
    }

    @Test
    void learnsAdditionFromScratchWithBalancedExperts(@TempDir Path dir) throws Exception {
        Addition task = Addition.correct(2);
        Path sft = dir.resolve("train.jsonl");
        Path heldOut = dir.resolve("held-out.jsonl");
        TaskFiles.writeSft(task, 6000, 1, Split.TRAIN, sft);
        TaskFiles.writeRl(task, 200, 2, Split.HELD_OUT, heldOut);
        Path tok = dir.resolve("tokenizer");
        GlmTokenizerFiles.train(List.of(sft), 300, tok);
        int vocab = Tokenizer.load(tok.resolve("tokenizer.json")).idBound();
        Path config = dir.resolve("config.json");
        Files.writeString(config, ConfigWriter.toJson(additionModel(vocab), DType.F32));

        SftTrainer.Settings settings = new SftTrainer.Settings(420, 8, 1, new TrainableModel.LossWeights(1e-4, 0.3),
                1e-3, 7, 0, 0, null);
        SftRun.Options o = new SftRun.Options(null, config, tok, sft, null, heldOut, dir.resolve("run"), 128, 3e-3,
                0.05, true, DType.F32, 8, settings);
        long start = System.nanoTime();
        SftTrainer.Summary s;
        try (Parallel parallel = Parallel.create(2)) {
            s = SftRun.run(o, parallel, e -> {
                if (e.step() % 50 == 0) {
                    System.out.printf("step %d loss %.4f tok/s %.0f%n", e.step(), e.loss(), e.tokensPerSecond());
                }
            });
        }
        System.out.printf("held-out greedy %.3f, MTP top-1 %.3f, max/mean %s, %.1f s%n", s.heldOutAccuracy(), s.mtpTop1(),
                java.util.Arrays.toString(s.maxOverMean()), (System.nanoTime() - start) / 1e9);
        assertTrue(s.heldOutAccuracy() >= 0.95, "held-out greedy accuracy " + s.heldOutAccuracy());
        for (double r : s.maxOverMean()) {
            assertTrue(r <= 1.5, "busiest expert at " + r + "x the mean load");
        }
        assertTrue(s.mtpTop1() > 0.5, "MTP next-next-token top-1 " + s.mtpTop1());
        assertTrue(Files.size(dir.resolve("run/loss.png")) > 0);
        assertTrue(Files.size(dir.resolve("run/expert-load.png")) > 0);
        try (Checkpoint c = Checkpoint.open(s.checkpoint())) {
            assertEquals(vocab, c.config().vocabSize());
            assertTrue(c.hasMtp());
        }
    }
}
