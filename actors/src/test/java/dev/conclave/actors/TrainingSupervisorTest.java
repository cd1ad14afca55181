package dev.conclave.actors;

import static dev.conclave.actors.InProcessTrainingCluster.assertRelative;
import static dev.conclave.actors.InProcessTrainingCluster.assertRelativeL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.training.Param;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.data.Batches;
import dev.conclave.training.data.PackedRow;
import dev.conclave.training.loop.PackedBatch;
import dev.conclave.training.loop.SftTrainer;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training supervisor and two training expert groups in one JVM (one ActorSystem, three data plane nodes
 * over Aeron IPC), the routed experts of every MoE layer and of the MTP layer split in thirds between the head
 * and the two groups, against {@link SftTrainer} on the single-JVM {@link TrainableModel}: the same checkpoint,
 * data, seed and Muon/AdamW settings must give the same per-step losses and gradient norms and the same
 * weights on every owner; a checkpoint saved through the supervisor must hold the whole model and resume
 * into the same losses.
 */
@Timeout(120)
class TrainingSupervisorTest {

    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final long SEED = 7;
    private static final int STEPS = 4;
    private static final int ROWS_PER_MICRO_BATCH = 2;
    private static final int ACCUMULATION = 2;
    private static final TrainableModel.LossWeights WEIGHTS = new TrainableModel.LossWeights(1e-2, 0.3);
    private static final double BIAS_RATE = 1e-3;
    private static final Path MODEL = Fixtures.fixture(Fixtures.TINY_A);

    @TempDir
    static Path dir;

    /** SftTrainer's (loss, gradient norm) per step, and its model after the steps. */
    private static final List<double[]> EXPECTED = new ArrayList<>();
    private static TrainableModel reference;

    @BeforeAll
    static void referenceRun() throws Exception {
        try (Checkpoint c = Checkpoint.open(MODEL); Parallel p = Parallel.create(2)) {
            reference = TrainableModel.load(c, p);
            SftTrainer.Settings s = new SftTrainer.Settings(STEPS, ROWS_PER_MICRO_BATCH, ACCUMULATION, WEIGHTS, BIAS_RATE,
                    SEED, 0, 0, HfCheckpointWriter.Options.glm45(null));
            new SftTrainer(reference, new Optimizer(reference.trainableParams(), optimizer()), rows(c.config().vocabSize()),
                    List.of(), null, s, dir.resolve("reference"), p).run(e -> { });
        }
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve("reference/metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            EXPECTED.add(new double[] {n.get("loss").asDouble(), n.get("grad_norm").asDouble()});
        }
        assertEquals(STEPS, EXPECTED.size());
    }

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

    /** The micro-batches of every step, in SftTrainer's data order. */
    private static List<List<Batch>> steps(int vocab) {
        List<List<Batch>> steps = new ArrayList<>();
        for (long epoch = 0; steps.size() < STEPS; epoch++) {
            for (Batches.Step s : Batches.epoch(rows(vocab), SEED, epoch, ROWS_PER_MICRO_BATCH, ACCUMULATION).steps()) {
                if (steps.size() < STEPS) {
                    steps.add(PackedBatch.each(s.microBatches()));
                }
            }
        }
        return steps;
    }

    private static OptimizerConfig optimizer() {
        return OptimizerConfig.pretraining(new LrSchedule(3e-3, 3e-4, 1, STEPS));
    }

    /** Head + two expert groups with SftTrainer's optimizer and objective. */
    private static InProcessTrainingCluster cluster() {
        return new InProcessTrainingCluster(KIT, dir, MODEL, optimizer(),
                new TrainingSupervisor.Settings(WEIGHTS, BIAS_RATE, Duration.ofSeconds(10)));
    }

    /** Runs step {@code index} (0-based) through the cluster and checks it against SftTrainer's. */
    private static void step(InProcessTrainingCluster c, List<List<Batch>> steps, int index) {
        TestProbe<TrainingSupervisor.StepResult> probe = KIT.createTestProbe();
        c.supervisor.tell(new TrainingSupervisor.TrainStep(steps.get(index), probe.ref()));
        var done = assertInstanceOf(TrainingSupervisor.StepDone.class, probe.receiveMessage(Duration.ofSeconds(60))).outcome();
        assertFalse(done.report().skipped());
        assertEquals(index + 1, done.report().step());
        assertRelative(EXPECTED.get(index)[0], done.loss(), "loss of step " + (index + 1));
        assertRelative(EXPECTED.get(index)[1], done.report().gradNorm(), "gradient norm of step " + (index + 1));
    }

    @Test
    void supervisorAndExpertGroupsTrainAsTheSingleJvmTrainer() throws Exception {
        try (InProcessTrainingCluster c = cluster()) {
            assertTrue(c.head.params().stream().noneMatch(x -> x.name().equals("model.layers.1.mlp.experts.4.gate_proj.weight")),
                    "experts-a's expert is not a param of the head");
            List<List<Batch>> steps = steps(c.checkpoint.config().vocabSize());
            for (int i = 0; i < STEPS; i++) {
                step(c, steps, i);
            }
            for (TrainingSupervisor.Owner owner : c.owners) {
                Map<String, double[]> values = c.ownerValues(owner);
                assertEquals(4 * 3 * 3, values.size(), "a third of 8 experts x 3 matrices x 4 MoE layers (MTP's too)");
                values.forEach((name, v) -> assertRelativeL2(reference.param(name).value(), v, name + " on " + owner.node()));
            }
            for (Param q : c.head.params()) {
                assertRelativeL2(reference.param(q.name()).value(), q.value(), q.name() + " on the head");
            }
        }
    }

    @Test
    void aCheckpointThroughTheSupervisorHoldsTheWholeModelAndResumesTheSameLosses() throws Exception {
        Path saved;
        int vocab;
        try (InProcessTrainingCluster c = cluster()) {
            vocab = c.checkpoint.config().vocabSize();
            List<List<Batch>> steps = steps(vocab);
            step(c, steps, 0);
            step(c, steps, 1);
            TestProbe<TrainingSupervisor.Saved> probe = KIT.createTestProbe();
            c.supervisor.tell(new TrainingSupervisor.Save(dir.resolve("run"), new TrainingCheckpoint.Progress(2, SEED, 1, 0),
                    new HfCheckpointWriter.Options(DType.F32, 1L << 30, true, null), probe.ref()));
            TrainingSupervisor.Saved s = probe.receiveMessage(Duration.ofSeconds(30));
            assertNull(s.error());
            saved = s.checkpoint();
        }
        assertTrue(Files.isRegularFile(saved.resolve("owner-experts-a.bin")) && Files.isRegularFile(saved.resolve("owner-experts-b.bin")));
        try (Checkpoint hf = Checkpoint.open(saved); Parallel p = Parallel.create(1)) {
            TrainableModel whole = TrainableModel.load(hf, p);
            assertEquals(reference.params().size(), whole.params().size(), "the HF checkpoint holds every tensor");
        }
        try (InProcessTrainingCluster c = cluster()) {
            TestProbe<TrainingSupervisor.Resumed> probe = KIT.createTestProbe();
            c.supervisor.tell(new TrainingSupervisor.Resume(saved, probe.ref()));
            TrainingSupervisor.Resumed r = probe.receiveMessage(Duration.ofSeconds(30));
            assertNull(r.error());
            assertEquals(new TrainingCheckpoint.Progress(2, SEED, 1, 0), r.progress());
            List<List<Batch>> steps = steps(vocab);
            step(c, steps, 2);
            step(c, steps, 3);
        }
    }
}
