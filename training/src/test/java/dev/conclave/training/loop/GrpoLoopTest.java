package dev.conclave.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.training.Param;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.rl.Aggregation;
import dev.conclave.training.rl.PolicyLoss;
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
        TinyPolicy policy = TinyPolicy.afterSft(dir);
        ModelConfig c = policy.config();
        Path model = policy.checkpoint();
        Path rl = policy.tasks();
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
