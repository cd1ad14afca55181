package dev.conclave.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.text.tokenizer.GlmTokenizerFiles;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.training.Param;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.rl.Aggregation;
import dev.conclave.training.rl.PolicyLoss;
import dev.conclave.training.tasks.Addition;
import dev.conclave.training.tasks.Split;
import dev.conclave.training.tasks.TaskFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GRPO loop end to end on a tiny model: a short SFT gives a policy that is sometimes right, then GRPO
 * steps sample through the serving engine, score, filter, and update; RL leaves the router biases and the
 * MTP layer untouched (spec §1.10), writes its metrics, chart and checkpoint, and resumes.
 */
class GrpoLoopTest {

    @Test
    void grpoStepsUpdateThePolicyAndFreezeRouterAndMtp(@TempDir Path dir) throws Exception {
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

        Path sftOut = dir.resolve("sft");
        SftTrainer.Summary base;
        try (Parallel parallel = Parallel.create(2)) {
            base = SftRun.run(new SftRun.Options(null, config, tok, sft, null, null, sftOut, 128, 3e-3, 0.1, true,
                    DType.F32, 6, new SftTrainer.Settings(100, 4, 1, new TrainableModel.LossWeights(1e-4, 0.3), 1e-3, 1,
                            0, 0, null)), parallel, e -> { });
        }
        Path model = base.checkpoint();
        Path out = dir.resolve("grpo");
        GrpoTrainer.Settings settings = new GrpoTrainer.Settings(3, 4, 12, 6, true, Aggregation.TOKEN_MEAN,
                PolicyLoss.defaults(), 5, 0, 0, null);
        GrpoRun.Options o = new GrpoRun.Options(model, rl, rl, null, out, 1e-3, 0, 1.0, false, false, DType.F32, settings);
        List<GrpoTrainer.StepEvent> events = new ArrayList<>();
        GrpoTrainer.Summary s;
        try (Parallel parallel = Parallel.create(2)) {
            s = GrpoRun.run(o, parallel, events::add, d -> { });
        }
        assertEquals(3, events.size());
        assertTrue(Files.size(out.resolve("reward.png")) > 0);

        JsonNode last = null;
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            last = new ObjectMapper().readTree(line);
        }
        assertEquals(3, last.get("step").asInt());
        assertTrue(last.get("kept_groups").asInt() > 0, "some groups had mixed rewards: " + last);
        assertTrue(last.has("held_out_greedy") && last.has("clip_fraction") && last.has("mean_response_tokens"));

        try (Checkpoint before = Checkpoint.open(model); Checkpoint after = Checkpoint.open(s.checkpoint());
             Parallel parallel = Parallel.create(1)) {
            TrainableModel b = TrainableModel.load(before, parallel);
            TrainableModel a = TrainableModel.load(after, parallel);
            String mtp = "model.layers." + c.mtpLayerIndex() + ".";
            boolean policyMoved = false;
            for (Param p : b.params()) {
                double[] x = p.value();
                double[] y = a.param(p.name()).value();
                if (p.name().startsWith(mtp) || p.name().endsWith("e_score_correction_bias")) {
                    assertArrayEquals(x, y, 0, p.name() + " is frozen during RL");
                } else if (!java.util.Arrays.equals(x, y)) {
                    policyMoved = true;
                }
            }
            assertTrue(policyMoved, "GRPO changed the policy's weights");
        }

        GrpoTrainer.Settings more = new GrpoTrainer.Settings(4, 4, 12, 6, true, Aggregation.TOKEN_MEAN,
                PolicyLoss.defaults(), 5, 0, 0, null);
        List<GrpoTrainer.StepEvent> resumed = new ArrayList<>();
        try (Parallel parallel = Parallel.create(2)) {
            GrpoRun.run(new GrpoRun.Options(model, rl, rl, null, out, 1e-3, 0, 1.0, false, false, DType.F32, more),
                    parallel, resumed::add, d -> { });
        }
        assertEquals(1, resumed.size(), "a second run on the same folder resumes after step 3");
        assertEquals(4, resumed.get(0).step());
        assertTrue(Files.isDirectory(out.resolve("checkpoints/checkpoint-00000004")));
    }
}
