package dev.conclave.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.optim.AdamW;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Muon;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.rl.Curriculum;
import dev.conclave.training.rl.DynamicTemperature;
import dev.conclave.training.rl.Verifiers;
import dev.conclave.training.tasks.RlTask;
import dev.conclave.training.Param;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.rl.Aggregation;
import dev.conclave.training.rl.PolicyLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GRPO loop end to end on a tiny model: a short SFT gives a policy that is sometimes right, then GRPO
 * steps sample through the serving engine, score, filter, and update; RL leaves the router biases and the
 * MTP layer untouched (spec §1.10), writes its metrics, chart and checkpoint, and resumes; synchronously, with
 * the sampler's log-probs as π_old, and one step off.
 */
class GrpoLoopTest {

    @TempDir
    static Path shared;

    private static TinyPolicy policy;

    @BeforeAll
    static void sft() throws Exception {
        policy = TinyPolicy.afterSft(shared);
    }

    private static List<JsonNode> steps(Path out) throws Exception {
        List<JsonNode> steps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode n = new ObjectMapper().readTree(line);
            if (n.get("step").asInt() > 0) {
                steps.add(n);
            }
        }
        return steps;
    }

    private static GrpoTrainer.Summary run(Path out, GrpoTrainer.Settings settings, List<GrpoTrainer.StepEvent> events)
            throws Exception {
        try (Parallel parallel = Parallel.create(2)) {
            return GrpoRun.run(new GrpoRun.Options(policy.checkpoint(), policy.tasks(), policy.tasks(), null, out, 1e-3, 0,
                    1.0, false, false, DType.F32, settings), parallel, events::add, d -> { });
        }
    }

    private static GrpoTrainer.Settings settings(long steps, GrpoTrainer.RolloutMode mode, boolean rolloutLogProbs) {
        return new GrpoTrainer.Settings(steps, 4, 12, 6, true, Aggregation.TOKEN_MEAN, PolicyLoss.defaults(), 5, 0, 0,
                null, mode, rolloutLogProbs);
    }

    @Test
    void grpoStepsUpdateThePolicyAndFreezeRouterAndMtp(@TempDir Path dir) throws Exception {
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
        for (JsonNode step : steps(out)) {
            assertEquals(step.get("step").asInt() - 1, step.get("rollout_version").asInt(), "sync: step r samples version r - 1");
            assertEquals(0, step.get("staleness").asInt());
            if (step.get("kept_groups").asInt() == 0) {
                continue;
            }
            double diff = step.get("train_rollout_logprob_abs_diff").asDouble();
            assertTrue(diff > 0 && diff < 1e-4, "float64 trainer vs float32 sampler on the same weights: " + diff);
            assertEquals(1.0, step.get("ratio_min").asDouble(), 0, "π_old recomputed by the trainer: ρ ≡ 1");
            assertEquals(1.0, step.get("ratio_max").asDouble(), 0);
        }
        assertEquals(events.getLast().rolloutLogProbAbsDiff(), last.get("train_rollout_logprob_abs_diff").asDouble());

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

    @Test
    void sampledLogProbsAsOldPolicyGiveRatiosWithinFloat32OfOne(@TempDir Path dir) throws Exception {
        List<GrpoTrainer.StepEvent> events = new ArrayList<>();
        run(dir, settings(2, GrpoTrainer.RolloutMode.SYNC, true), events);
        assertEquals(2, events.size());
        boolean kept = false;
        for (JsonNode step : steps(dir)) {
            if (step.get("kept_groups").asInt() == 0) {
                continue;
            }
            kept = true;
            double diff = step.get("train_rollout_logprob_abs_diff").asDouble();
            assertTrue(diff > 0 && diff < 1e-4, "on-policy mismatch only: " + diff);
            assertEquals(1.0, step.get("ratio_min").asDouble(), 1e-3, "ρ = π_train / π_sample on the same weights");
            assertEquals(1.0, step.get("ratio_max").asDouble(), 1e-3);
            assertTrue(step.get("ratio_min").asDouble() != 1.0 || step.get("ratio_max").asDouble() != 1.0,
                    "π_old came from the sampler, not the trainer");
            assertEquals(0.0, step.get("clip_fraction").asDouble());
        }
        assertTrue(kept, "some step kept a group");
    }

    @Test
    void oneStepOffRolloutsAreOneVersionStaleAndTheRunCheckpointsAndResumes(@TempDir Path dir) throws Exception {
        List<GrpoTrainer.StepEvent> events = new ArrayList<>();
        GrpoTrainer.Summary s = run(dir, settings(3, GrpoTrainer.RolloutMode.ONE_STEP_OFF, true), events);
        assertEquals(3, events.size());
        List<JsonNode> steps = steps(dir);
        // Step 1 has nothing to overlap with; step r's samples then come from weights v(r - 2) while the update starts at v(r - 1).
        assertEquals(List.of(0, 0, 1), steps.stream().map(n -> n.get("rollout_version").asInt()).toList());
        assertEquals(List.of(0, 1, 1), steps.stream().map(n -> n.get("staleness").asInt()).toList());
        assertTrue(steps.stream().allMatch(n -> n.get("stale_samples_rejected").asInt() == 0));
        double offPolicy = 0;
        for (JsonNode n : steps.subList(1, 3)) {
            if (n.get("kept_groups").asInt() > 0) {
                offPolicy = Math.max(offPolicy, Math.max(n.get("ratio_max").asDouble() - 1, 1 - n.get("ratio_min").asDouble()));
            }
        }
        assertTrue(offPolicy > 1e-3, "one update between sampling and training moves the ratio off 1: " + offPolicy);
        assertTrue(Files.isDirectory(s.checkpoint()));

        List<GrpoTrainer.StepEvent> resumed = new ArrayList<>();
        run(dir, settings(5, GrpoTrainer.RolloutMode.ONE_STEP_OFF, true), resumed);
        assertEquals(List.of(4L, 5L), resumed.stream().map(GrpoTrainer.StepEvent::step).toList());
        List<JsonNode> after = steps(dir).subList(3, 5);
        assertEquals(List.of(3, 3), after.stream().map(n -> n.get("rollout_version").asInt()).toList(),
                "the resumed run samples its first step on the restored weights, then overlaps again");
        assertEquals(List.of(0, 1), after.stream().map(n -> n.get("staleness").asInt()).toList());
        assertTrue(Files.isDirectory(dir.resolve("checkpoints/checkpoint-00000005")));
    }

    @Test
    void oneStepOffNeedsTheSampledLogProbs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> settings(3, GrpoTrainer.RolloutMode.ONE_STEP_OFF, false));
        assertTrue(e.getMessage().contains("behaviour policy"), e.getMessage());
    }

    /**
     * The per-step sampling temperatures of a 4-step run with the curriculum on and a dynamic temperature that checks
     * every 2 steps over a 2-step window with a slope bound no reward reaches and a tolerance of 1: its first check
     * (after step 2) is a plateau that moves τ from 1.0 to the top of its sweep {1.0, 1.5}.
     */
    private static List<Double> temperatures(Path out, GrpoTrainer.RolloutMode mode) throws Exception {
        ChatTask chat = new ChatTask(ChatTemplate.load(policy.checkpoint()),
                Tokenizer.load(policy.checkpoint().resolve("tokenizer.json")));
        List<RlTask> tasks = RlTask.read(policy.tasks());
        Verifiers verifiers = Verifiers.standard();
        Curriculum curriculum = new Curriculum(Curriculum.Config.defaults(), tasks.stream().map(RlTask::id).toList(), 5);
        DynamicTemperature temperature = new DynamicTemperature(new DynamicTemperature.Config(true, 1.0, 0.5, 1.5, 2, 10,
                2, 1.0));
        OptimizerConfig oc = new OptimizerConfig(false, false, true, Muon.Settings.glm45(),
                new AdamW.Settings(0.9, 0.98, 1e-8, 0), 1.0, LrSchedule.constant(1e-3));
        GrpoTrainer.Settings settings = new GrpoTrainer.Settings(4, 4, 12, 6, true, Aggregation.TOKEN_MEAN,
                PolicyLoss.defaults(), 5, 0, 0, new HfCheckpointWriter.Options(DType.F32, 5_000_000_000L, true,
                policy.checkpoint()), mode, true);
        List<String> decisions = new ArrayList<>();
        try (Parallel parallel = Parallel.create(2)) {
            TrainableModel model;
            try (Checkpoint c = Checkpoint.open(policy.checkpoint())) {
                model = TrainableModel.load(c, parallel);
            }
            new GrpoTrainer(model, new Optimizer(GrpoTrainer.rlParams(model), oc), tasks, chat, verifiers, curriculum,
                    temperature, new HeldOutEval(tasks.subList(0, 16), chat, verifiers, 6), settings, out, parallel)
                    .run(e -> { }, decisions::add);
        }
        assertTrue(decisions.stream().anyMatch(d -> d.startsWith("temperature step 2") && d.endsWith("τ 1.00 -> 1.50")),
                decisions.toString());
        return steps(out).stream().map(n -> n.get("temperature").asDouble()).toList();
    }

    @Test
    void aTemperatureDecisionReachesTheOverlappedRolloutOneStepLater(@TempDir Path dir) throws Exception {
        assertEquals(List.of(1.0, 1.0, 1.5, 1.5), temperatures(dir.resolve("sync"), GrpoTrainer.RolloutMode.SYNC));
        // Step 3's rollout starts while step 2 updates, before step 2's decision: it still samples at 1.0.
        assertEquals(List.of(1.0, 1.0, 1.0, 1.5), temperatures(dir.resolve("async"), GrpoTrainer.RolloutMode.ONE_STEP_OFF));
    }
}
