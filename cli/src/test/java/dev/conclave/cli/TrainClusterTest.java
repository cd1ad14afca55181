package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.actors.TrainingHead;
import dev.conclave.actors.TrainingSupervisor;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.core.testing.Ports;
import dev.conclave.placement.PlacementLoader;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.data.Batches;
import dev.conclave.training.data.PackedRow;
import dev.conclave.training.loop.PackedBatch;
import dev.conclave.training.loop.SftTrainer;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training through three JVMs from the shipped {@code local-3-node.conf} (ports moved to free ones): this JVM is
 * the head ({@link TrainingHead}, the supervisor with attention, routers, shared experts, embedding and head),
 * and two {@code conclave node --train} processes own the two halves of every MoE layer's routed experts, the
 * MTP layer's included. A few SFT steps on the tiny fixture must give the single-JVM {@link SftTrainer}'s
 * per-step losses and gradient norms (rel 1e-5) for the same seed and data.
 */
@Timeout(180)
class TrainClusterTest {

    private static final long SEED = 11;
    private static final int STEPS = 3;
    private static final int ROWS = 2;
    private static final TrainableModel.LossWeights WEIGHTS = new TrainableModel.LossWeights(1e-2, 0.3);
    private static final double BIAS_RATE = 1e-3;

    /** Six rows of two random-token documents: three steps of two rows are one epoch. */
    private static List<PackedRow> rows(int vocab) {
        SplittableRandom r = new SplittableRandom(5);
        List<PackedRow> rows = new ArrayList<>();
        int length = 16;
        int second = 7;
        for (int i = 0; i < 6; i++) {
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
    void threeJvmsGiveTheSingleJvmLosses(@TempDir Path dir) throws Exception {
        Path model = Fixtures.fixture(Fixtures.TINY_A);
        List<double[]> expected = new ArrayList<>();
        List<PackedRow> rows;
        try (Checkpoint c = Checkpoint.open(model); Parallel p = Parallel.create(2)) {
            rows = rows(c.config().vocabSize());
            TrainableModel reference = TrainableModel.load(c, p);
            SftTrainer.Settings s = new SftTrainer.Settings(STEPS, ROWS, 1, WEIGHTS, BIAS_RATE, SEED, 0, 0,
                    HfCheckpointWriter.Options.glm45(null));
            new SftTrainer(reference, new Optimizer(reference.trainableParams(), optimizer()), rows, List.of(), null, s,
                    dir.resolve("reference"), p).run(e -> { });
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(dir.resolve("reference/metrics.jsonl"))) {
                JsonNode n = json.readTree(line);
                expected.add(new double[] {n.get("loss").asDouble(), n.get("grad_norm").asDouble()});
            }
        }

        String conf = Files.readString(Path.of("..", "cluster-config", "local-3-node.conf"));
        for (int port : new int[] {25520, 25521, 25522}) {
            conf = conf.replace(String.valueOf(port), String.valueOf(Ports.freeTcp()));
        }
        for (int port : new int[] {40120, 40121, 40122}) {
            conf = conf.replace(String.valueOf(port), String.valueOf(Ports.freeUdp()));
        }
        Path config = dir.resolve("local-3-node.conf");
        Files.writeString(config, conf);
        List<Process> nodes = new ArrayList<>();
        try {
            for (String node : List.of("experts-a", "experts-b")) {
                nodes.add(NodeProcess.start(config, node, model, dir.resolve(node + ".log"), "--train"));
            }
            try (Parallel p = Parallel.create(2);
                 TrainingHead head = TrainingHead.start(PlacementLoader.load(config), model, optimizer(),
                         new TrainingSupervisor.Settings(WEIGHTS, BIAS_RATE, Duration.ofSeconds(20)), p, Duration.ofSeconds(90))) {
                int step = 0;
                for (Batches.Step s : Batches.epoch(rows, SEED, 0, ROWS, 1).steps()) {
                    TrainingSupervisor.StepDone done = head.step(PackedBatch.each(s.microBatches()));
                    assertFalse(done.skipped());
                    assertRelative(expected.get(step)[0], done.loss(), "loss of step " + (step + 1));
                    assertRelative(expected.get(step)[1], done.gradNorm(), "gradient norm of step " + (step + 1));
                    step++;
                }
                assertEquals(STEPS, step);
            } catch (RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + logs(dir), e);
            }
        } finally {
            nodes.forEach(Process::destroy);
            for (Process n : nodes) {
                if (!n.waitFor(20, TimeUnit.SECONDS)) {
                    n.destroyForcibly();
                }
            }
        }
    }

    private static void assertRelative(double expected, double actual, String what) {
        assertTrue(Math.abs(actual - expected) <= 1e-5 * Math.abs(expected), what + ": expected " + expected + ", got " + actual);
    }

    private static String logs(Path dir) {
        StringBuilder b = new StringBuilder();
        for (String n : List.of("experts-a", "experts-b")) {
            try {
                b.append("== ").append(n).append('\n').append(Files.readString(dir.resolve(n + ".log")));
            } catch (IOException e) {
                b.append("(no log for ").append(n).append(")\n");
            }
        }
        return b.toString();
    }
}
