package dev.conclave.training.checkpoint;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.training.Param;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingCheckpointTest {

    private static final OptimizerConfig OPTIMIZER = OptimizerConfig.pretraining(new LrSchedule(1e-2, 1e-3, 1, 10));
    private static final HfCheckpointWriter.Options SMALL_SHARDS = new HfCheckpointWriter.Options(DType.BF16, 500_000, true, null);

    @TempDir
    Path root;

    private ModelConfig config;
    private List<Param> params;

    @BeforeEach
    void load() {
        try (Checkpoint fixture = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_A))) {
            config = fixture.config();
            params = CheckpointParams.of(fixture);
        }
    }

    private List<Param> copyOf(List<Param> source) {
        return source.stream().map(p -> {
            Param q = new Param(p.name(), p.kind(), p.shape());
            System.arraycopy(p.value(), 0, q.value(), 0, p.size());
            return q;
        }).toList();
    }

    private static void train(List<Param> params, Optimizer optimizer, SplittableRandom random, int steps) {
        for (int s = 0; s < steps; s++) {
            for (Param p : params) {
                double[] g = p.grad();
                for (int i = 0; i < g.length; i++) {
                    g[i] = 0.01 * random.nextGaussian();
                }
            }
            optimizer.step();
        }
    }

    @Test
    void trainingStateRoundTripsExactly() throws IOException {
        Optimizer optimizer = new Optimizer(params, OPTIMIZER);
        train(params, optimizer, new SplittableRandom(1), 2);
        TrainingCheckpoint.Progress progress = new TrainingCheckpoint.Progress(2, 42, 1, 17);
        Path saved = TrainingCheckpoint.save(root, config, params, optimizer, progress, SMALL_SHARDS);
        assertEquals(root.resolve("checkpoint-00000002"), saved);

        List<Param> fresh = copyOf(params).stream().map(p -> new Param(p.name(), p.kind(), p.shape())).toList();
        Optimizer resumed = new Optimizer(fresh, OPTIMIZER);
        assertEquals(progress, TrainingCheckpoint.restore(saved, fresh, resumed));
        assertEquals(2, resumed.stepsTaken());
        for (int i = 0; i < params.size(); i++) {
            assertArrayEquals(params.get(i).value(), fresh.get(i).value(), params.get(i).name());
        }
        train(params, optimizer, new SplittableRandom(7), 2);
        train(fresh, resumed, new SplittableRandom(7), 2);
        for (int i = 0; i < params.size(); i++) {
            assertArrayEquals(params.get(i).value(), fresh.get(i).value(), params.get(i).name());
        }
        // The model part is a servable HF checkpoint on its own.
        try (Checkpoint hf = Checkpoint.open(saved)) {
            assertEquals(DType.BF16, hf.tensor("lm_head.weight").dtype());
        }
    }

    @Test
    void aFailureMidSaveLeavesTheLastGoodCheckpointLoadable() throws IOException {
        Optimizer optimizer = new Optimizer(params, OPTIMIZER);
        train(params, optimizer, new SplittableRandom(2), 1);
        Path good = TrainingCheckpoint.save(root, config, params, optimizer, new TrainingCheckpoint.Progress(1, 0, 0, 1), SMALL_SHARDS);
        List<Param> atGood = copyOf(params);
        train(params, optimizer, new SplittableRandom(3), 1);

        int[] files = {0};
        RuntimeException crash = new RuntimeException("simulated crash");
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> TrainingCheckpoint.save(root, config, params,
                optimizer, new TrainingCheckpoint.Progress(2, 0, 0, 2), SMALL_SHARDS, file -> {
                    if (++files[0] == 3) {
                        throw crash;  // after config.json and the first shard
                    }
                }));
        assertEquals(crash, thrown);
        assertFalse(Files.exists(root.resolve("checkpoint-00000002")));
        assertTrue(leftovers() == 1, "the crashed save's temporary folder stays until the next save");
        assertEquals(good, TrainingCheckpoint.latest(root).orElseThrow());

        List<Param> restored = copyOf(params);
        TrainingCheckpoint.restore(good, restored, new Optimizer(restored, OPTIMIZER));
        for (int i = 0; i < params.size(); i++) {
            assertArrayEquals(atGood.get(i).value(), restored.get(i).value(), params.get(i).name());
        }
        try (Checkpoint hf = Checkpoint.open(good)) {
            assertTrue(hf.hasMtp());
        }

        Path next = TrainingCheckpoint.save(root, config, params, optimizer, new TrainingCheckpoint.Progress(2, 0, 0, 2), SMALL_SHARDS);
        assertEquals(next, TrainingCheckpoint.latest(root).orElseThrow());
        assertEquals(0, leftovers());
        IOException again = assertThrows(IOException.class, () -> TrainingCheckpoint.save(root, config, params, optimizer,
                new TrainingCheckpoint.Progress(2, 0, 0, 2), SMALL_SHARDS));
        assertTrue(again.getMessage().contains("already exists"), again.getMessage());
    }

    @Test
    void restoreIntoAnotherModelNamesTheProblem() throws IOException {
        Optimizer optimizer = new Optimizer(params, OPTIMIZER);
        Path saved = TrainingCheckpoint.save(root, config, params, optimizer, new TrainingCheckpoint.Progress(0, 0, 0, 0), SMALL_SHARDS);
        List<Param> other = new java.util.ArrayList<>(copyOf(params));
        other.set(0, new Param("model.embed_tokens.weight", Param.Kind.EMBEDDING, 511, 64));
        IOException e = assertThrows(IOException.class, () -> TrainingCheckpoint.restore(saved, other, new Optimizer(other, OPTIMIZER)));
        assertTrue(e.getMessage().contains("model.embed_tokens.weight"), e.getMessage());
    }

    private long leftovers() {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(".tmp-checkpoint-")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
