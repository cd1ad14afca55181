package dev.conclave.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.dispatch.DataPlane;
import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.dispatch.RowsMessage;
import dev.conclave.placement.PlacementLoader;
import dev.conclave.placement.PlacementValidator;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.training.Param;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.data.Batches;
import dev.conclave.training.data.PackedRow;
import dev.conclave.training.loop.PackedBatch;
import dev.conclave.training.loop.SftTrainer;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.CloseHelper;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training supervisor and two training expert groups in one JVM (one ActorSystem, three data plane
 * nodes over Aeron IPC), the routed experts of every MoE layer and of the MTP layer split in thirds between
 * the head and the two groups, against {@link SftTrainer} on the single-JVM {@link TrainableModel}: the same
 * checkpoint, data, seed and Muon/AdamW settings must give the same per-step losses and gradient norms, and
 * an expert owned by a group the same weights after the steps.
 */
@Timeout(120)
class TrainingSupervisorTest {

    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final DispatcherSelector PINNED = DispatcherSelector.fromConfig("conclave.pinned-dispatcher");
    private static final long SEED = 7;
    private static final int STEPS = 4;
    private static final int ROWS_PER_MICRO_BATCH = 2;
    private static final int ACCUMULATION = 2;
    private static final TrainableModel.LossWeights WEIGHTS = new TrainableModel.LossWeights(1e-2, 0.3);
    private static final double BIAS_RATE = 1e-3;

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    /** Eight rows of two documents each (random tokens), so that four steps of 2 × 2 rows span two epochs. */
    private static List<PackedRow> rows(int vocab) {
        SplittableRandom r = new SplittableRandom(3);
        List<PackedRow> rows = new ArrayList<>();
        int length = 20;
        int second = 9;
        for (int i = 0; i < 8; i++) {
            int[] tokens = new int[length];
            boolean[] mask = new boolean[length];
            int[] positions = new int[length];
            for (int t = 0; t < length; t++) {
                tokens[t] = r.nextInt(vocab);
                mask[t] = t != 0 && t != second;
                positions[t] = t < second ? t : t - second;
            }
            rows.add(new PackedRow(tokens, mask, positions, new int[] {0, second}, length));
        }
        return rows;
    }

    private static OptimizerConfig optimizer() {
        return OptimizerConfig.pretraining(new LrSchedule(3e-3, 3e-4, 1, STEPS));
    }

    @Test
    void supervisorAndExpertGroupsTrainAsTheSingleJvmTrainer(@TempDir Path dir) throws Exception {
        Path model = Fixtures.fixture(Fixtures.TINY_A);
        List<double[]> expected = new ArrayList<>();
        TrainableModel reference;
        try (Checkpoint c = Checkpoint.open(model); Parallel p = Parallel.create(2)) {
            reference = TrainableModel.load(c, p);
            List<PackedRow> rows = rows(c.config().vocabSize());
            SftTrainer.Settings s = new SftTrainer.Settings(STEPS, ROWS_PER_MICRO_BATCH, ACCUMULATION, WEIGHTS, BIAS_RATE,
                    SEED, 0, 0, HfCheckpointWriter.Options.glm45(null));
            new SftTrainer(reference, new Optimizer(reference.trainableParams(), optimizer()), rows, List.of(), null, s,
                    dir.resolve("reference"), p).run(e -> { });
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(dir.resolve("reference/metrics.jsonl"))) {
                JsonNode n = json.readTree(line);
                expected.add(new double[] {n.get("loss").asDouble(), n.get("grad_norm").asDouble()});
            }
        }
        assertEquals(STEPS, expected.size());

        // Every node of this JVM joins one media driver over IPC; the endpoints only satisfy the placement format.
        String conf = """
                conclave {
                  seed-nodes = [head]
                  data-plane { embedded-driver = false, driver-directory = "%s", step-timeout = 10 s }
                  nodes {
                    head { host = "127.0.0.1", pekko-port = 25590, roles = [orchestrator, attention, experts],
                           attention-layers = "all", experts = [ { layers = "all", experts = "1/3" } ],
                           aeron-endpoint = "127.0.0.1:40190" }
                    experts-a { host = "127.0.0.1", pekko-port = 25591, roles = [experts],
                                experts = [ { layers = "all", experts = "2/3" } ], aeron-endpoint = "127.0.0.1:40191" }
                    experts-b { host = "127.0.0.1", pekko-port = 25592, roles = [experts],
                                experts = [ { layers = "all", experts = "3/3" } ], aeron-endpoint = "127.0.0.1:40192" }
                  }
                }
                """.formatted(dir.resolve("aeron"));
        List<DataPlane> planes = new ArrayList<>();
        var driver = DataPlane.launchDriver(dir.resolve("aeron").toString());
        try (Checkpoint c = Checkpoint.open(model); Parallel p = Parallel.create(2)) {
            ResolvedPlacement placement = PlacementValidator.validate(PlacementLoader.parse(conf, "train-3.conf"), c.config());
            List<String> names = placement.placement().nodeNames();
            List<DataPlane.Node> nodes = names.stream().map(DataPlane.Node::ipc).toList();
            for (int i = 0; i < nodes.size(); i++) {
                planes.add(DataPlane.connect(nodes, i, dir.resolve("aeron").toString(), DataPlane.Settings.DEFAULT));
            }
            TrainingOwners owners = new TrainingOwners(placement);
            List<ActorRef<TrainingExpertGroup.Command>> groups = new ArrayList<>();
            TestProbe<TrainingExpertGroup.Ready> ready = KIT.createTestProbe();
            for (int i = 1; i < names.size(); i++) {
                var group = KIT.spawn(TrainingExpertGroup.create(new TrainingExpertGroup.Setup(names.get(i), i, c, owners,
                        planes.get(i), Parallel.serial())), "training-" + names.get(i), PINNED);
                group.tell(new TrainingExpertGroup.Begin(optimizer(), ready.ref()));
                assertEquals(names.get(i), ready.receiveMessage(Duration.ofSeconds(30)).node());
                groups.add(group);
            }
            ExpertDispatcher dispatcher = new ExpertDispatcher(planes.getFirst(), RowsMessage.RowType.F32, Duration.ofSeconds(10));
            TrainableModel head = TrainingSupervisor.model(c, placement, 0, dispatcher, p);
            assertTrue(head.params().stream().noneMatch(x -> x.name().equals("model.layers.1.mlp.experts.4.gate_proj.weight")),
                    "experts-a's expert is not a param of the head");
            var supervisor = KIT.spawn(TrainingSupervisor.create(head, new Optimizer(head.trainableParams(), optimizer()),
                    groups, new TrainingSupervisor.Settings(WEIGHTS, BIAS_RATE, Duration.ofSeconds(10))), "supervisor", PINNED);

            List<PackedRow> rows = rows(c.config().vocabSize());
            TestProbe<TrainingSupervisor.StepResult> probe = KIT.createTestProbe();
            int step = 0;
            for (long epoch = 0; step < STEPS; epoch++) {
                for (Batches.Step s : Batches.epoch(rows, SEED, epoch, ROWS_PER_MICRO_BATCH, ACCUMULATION).steps()) {
                    if (step == STEPS) {
                        break;
                    }
                    supervisor.tell(new TrainingSupervisor.TrainStep(PackedBatch.each(s.microBatches()), probe.ref()));
                    var done = assertInstanceOf(TrainingSupervisor.StepDone.class, probe.receiveMessage(Duration.ofSeconds(60)));
                    assertFalse(done.skipped());
                    assertEquals(step + 1, done.step());
                    assertRelative(expected.get(step)[0], done.loss(), 1e-5, "loss of step " + (step + 1));
                    assertRelative(expected.get(step)[1], done.gradNorm(), 1e-5, "gradient norm of step " + (step + 1));
                    step++;
                }
            }
            TestProbe<TrainingExpertGroup.OwnedParams> params = KIT.createTestProbe();
            for (ActorRef<TrainingExpertGroup.Command> group : groups) {
                group.tell(new TrainingExpertGroup.GetParams(params.ref()));
                TrainingExpertGroup.OwnedParams owned = params.receiveMessage(Duration.ofSeconds(10));
                assertEquals(4 * 3 * 3, owned.names().size(), "a third of 8 experts x 3 matrices x 4 MoE layers (MTP's too)");
                for (int i = 0; i < owned.names().size(); i++) {
                    assertRelativeL2(reference.param(owned.names().get(i)).value(), owned.values().get(i), 1e-5,
                            owned.names().get(i) + " on " + owned.node());
                }
            }
            for (Param q : head.params()) {
                assertRelativeL2(reference.param(q.name()).value(), q.value(), 1e-5, q.name() + " on the head");
            }
        } finally {
            CloseHelper.closeAll(planes.reversed());
            driver.close();
        }
    }

    private static void assertRelative(double expected, double actual, double tolerance, String what) {
        assertTrue(Math.abs(actual - expected) <= tolerance * Math.abs(expected),
                what + ": expected " + expected + ", got " + actual);
    }

    private static void assertRelativeL2(double[] expected, double[] actual, double tolerance, String what) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        assertTrue(Math.sqrt(diff) <= tolerance * Math.sqrt(norm), what + ": rel-L2 " + Math.sqrt(diff / norm));
    }
}
