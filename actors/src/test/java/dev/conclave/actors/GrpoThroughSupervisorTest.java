package dev.conclave.actors;

import static dev.conclave.actors.InProcessTrainingCluster.assertRelative;
import static dev.conclave.actors.InProcessTrainingCluster.assertRelativeL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.training.loop.GrpoRun;
import dev.conclave.training.loop.GrpoTrainer;
import dev.conclave.training.loop.SftRun;
import dev.conclave.training.loop.TinyPolicy;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.rl.Aggregation;
import dev.conclave.training.rl.PolicyLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GRPO through the training supervisor and two training expert groups in one JVM ({@link InProcessTrainingCluster})
 * against {@link GrpoTrainer} on the single-JVM model: a tiny model after a short SFT (as GrpoLoopTest), three
 * steps with AdamW weight decay, so that an MTP expert left in an owner's optimizer would move. The cluster run
 * must give the same per-step mean reward, policy loss and gradient norm, keep the MTP layer and the router
 * biases bit-identical on every owner, and move the policy's routed experts on their owners as the single-JVM
 * run moves them; with synchronous and with one-step-off rollouts (the overlapped rollout runs on a snapshot the
 * head publishes, so the cluster only ever sees the main thread).
 */
@Timeout(300)
class GrpoThroughSupervisorTest {

    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final int STEPS = 3;
    private static final double LR = 1e-3;
    private static final double WEIGHT_DECAY = 0.1;

    @TempDir
    static Path shared;

    private static TinyPolicy policy;

    @BeforeAll
    static void sft() throws Exception {
        policy = TinyPolicy.afterSft(shared);
    }

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @ParameterizedTest
    @EnumSource(GrpoTrainer.RolloutMode.class)
    void grpoThroughTheSupervisorGivesTheSingleJvmCurveAndFreezesTheMtpLayer(GrpoTrainer.RolloutMode mode, @TempDir Path dir)
            throws Exception {
        ModelConfig c = policy.config();
        Path model = policy.checkpoint();
        Path rl = policy.tasks();

        Path local = dir.resolve("local");
        try (Parallel parallel = Parallel.create(2)) {
            GrpoRun.run(options(model, rl, local, mode), parallel, e -> { }, d -> { });
        }
        Path viaCluster = dir.resolve("cluster");
        InProcessTrainingCluster[] cluster = new InProcessTrainingCluster[1];
        try (Parallel parallel = Parallel.create(2)) {
            GrpoRun.run(options(model, rl, viaCluster, mode), parallel, e -> { }, d -> { }, (modelDir, optimizer, p) -> {
                cluster[0] = new InProcessTrainingCluster(KIT, dir, modelDir, optimizer,
                        TrainingSupervisor.Settings.rl(Duration.ofSeconds(10)));
                // The test closes the cluster after reading the owners' weights.
                return new SftRun.Launched(cluster[0].head, cluster[0].runner(), () -> { });
            });
            List<JsonNode> expected = steps(local);
            List<JsonNode> actual = steps(viaCluster);
            assertEquals(STEPS, expected.size());
            assertEquals(STEPS, actual.size());
            boolean learned = false;
            for (int i = 0; i < STEPS; i++) {
                for (String metric : List.of("mean_reward", "policy_loss", "grad_norm")) {
                    double e = expected.get(i).get(metric).asDouble();
                    double a = actual.get(i).get(metric).asDouble();
                    if (metric.equals("policy_loss") && mode == GrpoTrainer.RolloutMode.ONE_STEP_OFF) {
                        // π_old from the sampler: an on-policy step's loss is Σ w·A·(1 − ρ) with ρ − 1 ~ 1e-6 of
                        // float32 mismatch (Σ w·A = 0), where the wire's F32 rows show; hence an absolute floor.
                        assertEquals(e, a, 1e-5 * Math.abs(e) + 1e-9, metric + " of step " + (i + 1));
                    } else {
                        assertRelative(e, a, metric + " of step " + (i + 1));
                    }
                }
                learned |= expected.get(i).get("kept_groups").asInt() > 0 && expected.get(i).get("grad_norm").asDouble() > 0;
                assertEquals(expected.get(i).get("rollout_version").asInt(), actual.get(i).get("rollout_version").asInt());
            }
            assertTrue(learned, "some step had groups of mixed rewards and a non-zero gradient: " + expected);
            assertEquals(expected.getLast().get("held_out_greedy").asDouble(), actual.getLast().get("held_out_greedy").asDouble());

            String mtp = "model.layers." + c.mtpLayerIndex() + ".";
            try (Checkpoint sftCheckpoint = Checkpoint.open(model);
                 Checkpoint localEnd = Checkpoint.open(local.resolve("checkpoints/checkpoint-00000003"));
                 Parallel one = Parallel.create(1)) {
                TrainableModel before = TrainableModel.load(sftCheckpoint, one);
                TrainableModel after = TrainableModel.load(localEnd, one);
                Map<String, double[]> onHead = new LinkedHashMap<>();
                cluster[0].head.params().forEach(p -> onHead.put(p.name(), p.value()));
                Map<String, double[]> onOwners = new LinkedHashMap<>();
                for (TrainingSupervisor.Owner owner : cluster[0].owners) {
                    onOwners.putAll(cluster[0].ownerValues(owner));
                }
                assertEquals(2 * 3 * 3, onOwners.size(), "the owners hold 3 of the 4 experts of 2 MoE layers, 3 matrices each");
                boolean ownersMoved = false;
                for (Map<String, double[]> values : List.of(onHead, onOwners)) {
                    for (Map.Entry<String, double[]> v : values.entrySet()) {
                        String name = v.getKey();
                        double[] start = before.param(name).value();
                        if (name.startsWith(mtp) || name.endsWith("e_score_correction_bias")) {
                            assertArrayEquals(start, v.getValue(), 0, name + " is frozen during RL");
                        } else {
                            assertRelativeL2(after.param(name).value(), v.getValue(), name);
                            ownersMoved |= values == onOwners && !Arrays.equals(start, v.getValue());
                        }
                    }
                }
                assertTrue(ownersMoved, "GRPO updated the routed experts on their owners");
            }
        } finally {
            if (cluster[0] != null) {
                cluster[0].close();
            }
        }
    }

    private static GrpoRun.Options options(Path model, Path tasks, Path out, GrpoTrainer.RolloutMode mode) {
        GrpoTrainer.Settings settings = new GrpoTrainer.Settings(STEPS, 4, 12, 6, true, Aggregation.TOKEN_MEAN,
                PolicyLoss.defaults(), 5, 0, 0, null, mode, mode == GrpoTrainer.RolloutMode.ONE_STEP_OFF);
        return new GrpoRun.Options(model, tasks, tasks, null, out, LR, WEIGHT_DECAY, 1.0, false, false, DType.F32, settings);
    }

    /** The metrics of every step 1.. of a run's metrics.jsonl (step 0 holds only the initial evaluation). */
    private static List<JsonNode> steps(Path out) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> steps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            if (n.get("step").asInt() > 0) {
                steps.add(n);
            }
        }
        return steps;
    }
}
