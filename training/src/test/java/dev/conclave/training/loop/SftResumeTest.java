package dev.conclave.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.text.tokenizer.GlmTokenizerFiles;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.training.Param;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.tasks.Addition;
import dev.conclave.training.tasks.Split;
import dev.conclave.training.tasks.TaskFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that dies after a checkpoint and is started again on the same folder continues with exactly the
 * losses of a run that never stopped; the saved checkpoint loads back into identical weights and logits.
 */
class SftResumeTest {

    @TempDir
    static Path dir;
    static Path sft;
    static Path tok;
    static Path config;

    @BeforeAll
    static void data() throws IOException {
        sft = dir.resolve("train.jsonl");
        TaskFiles.writeSft(Addition.correct(2), 400, 1, Split.TRAIN, sft);
        tok = dir.resolve("tokenizer");
        GlmTokenizerFiles.train(List.of(sft), 300, tok);
        int vocab = Tokenizer.load(tok.resolve("tokenizer.json")).idBound();
        ModelConfig c = new ModelConfig("glm4_moe", vocab, 32, 2, 2, 1, 16, 64, 32, 4, 1, 2, 1, 1, 1, true, 2.5, 10_000,
                0.5, true, true, 1e-5, 128, false, 1, null, List.of(vocab - 1), "float32");
        config = dir.resolve("config.json");
        Files.writeString(config, ConfigWriter.toJson(c, DType.F32));
    }

    private static SftTrainer.Summary train(Path out, SftTrainer.Listener listener) throws IOException {
        SftTrainer.Settings s = new SftTrainer.Settings(6, 2, 2, new TrainableModel.LossWeights(1e-4, 0.3), 1e-3, 3, 0, 3, null);
        SftRun.Options o = new SftRun.Options(null, config, tok, sft, null, null, out, 64, 3e-3, 0.2, true, DType.F32, 8, s);
        try (Parallel parallel = Parallel.create(2)) {
            return SftRun.run(o, parallel, listener);
        }
    }

    @Test
    void resumedRunRepeatsTheUninterruptedLossCurve() throws IOException {
        Path whole = dir.resolve("whole");
        SftTrainer.Summary done = train(whole, e -> { });

        Path crashed = dir.resolve("crashed");
        assertThrows(IllegalStateException.class, () -> train(crashed, e -> {
            if (e.step() == 5) {
                throw new IllegalStateException("killed after step 5, whose checkpoint is not yet written");
            }
        }));
        train(crashed, e -> { });
        TreeMap<Long, Double> a = losses(whole);
        TreeMap<Long, Double> b = losses(crashed);
        assertEquals(6, a.size());
        assertEquals(a.keySet(), b.keySet());
        // Two threads may sum a step's partial results in either order: equal to the last few ulps, not bit for bit.
        a.forEach((step, loss) -> assertEquals(loss, b.get(step), 1e-12 * loss, "loss of step " + step));

        try (Checkpoint saved = Checkpoint.open(done.checkpoint()); Parallel parallel = Parallel.create(1)) {
            TrainableModel trained = TrainableModel.random(saved.config(), 99, parallel);
            TrainingCheckpoint.restore(done.checkpoint(), trained.params(), new Optimizer(trained.trainableParams(),
                    OptimizerConfig.pretraining(LrSchedule.constant(1e-3))));
            for (Param p : trained.params()) {
                float[] stored = saved.tensor(p.name()).toFloatArray();
                double[] master = p.value();
                for (int i = 0; i < stored.length; i++) {
                    assertEquals((float) master[i], stored[i], 0f, p.name() + "[" + i + "]: saved value vs master weight");
                }
            }
            int[] tokens = {5, 17, 42, 3, 8, 13};
            try (Checkpoint published = PublishedWeights.publish(saved.config(), trained.params(), 6)) {
                float[] before = allLogits(InProcessPipeline.load(published, parallel), tokens);
                float[] after = allLogits(InProcessPipeline.load(saved, parallel), tokens);
                // Same float32 weights; a mapped file's tensors may sit at other alignments than heap copies, and the
                // kernels may then block the sums differently: equal to float rounding, not necessarily bit for bit.
                assertEquals(before.length, after.length);
                for (int i = 0; i < before.length; i++) {
                    assertEquals(before[i], after[i], 1e-5f * (1 + Math.abs(before[i])), "logit " + i + " of the served checkpoint");
                }
            }
        }
    }

    private static float[] allLogits(InProcessPipeline pipeline, int[] tokens) {
        return pipeline.step(List.of(pipeline.newSequence()), List.of(tokens), InProcessPipeline.Logits.ALL).logits();
    }

    private static TreeMap<Long, Double> losses(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        TreeMap<Long, Double> out = new TreeMap<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            out.put(n.get("step").asLong(), n.get("loss").asDouble());
        }
        return out;
    }
}
