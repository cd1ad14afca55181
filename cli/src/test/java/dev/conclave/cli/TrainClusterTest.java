package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.core.testing.Ports;
import dev.conclave.text.tokenizer.GlmTokenizerFiles;
import dev.conclave.training.Param;
import dev.conclave.training.loop.TinyPolicy;
import dev.conclave.training.model.TrainableModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conclave train sft --cluster} through three JVMs from the shipped {@code local-3-node.conf} (ports moved
 * to free ones): this JVM runs the command and is the head (the training supervisor with attention, routers,
 * shared experts, embedding and head), two {@code conclave node --train} processes own the two halves of every
 * MoE layer's routed experts, the MTP layer's included. A few SFT steps on the tiny fixture must give the
 * per-step losses and gradient norms of the same command without {@code --cluster} (rel 1e-5), and the final
 * checkpoint must hold the whole model plus each owner's state. {@code conclave train grpo --cluster} likewise.
 */
@Timeout(300)
class TrainClusterTest {

    private static final Path MODEL = Fixtures.fixture(Fixtures.TINY_A);

    @Test
    void threeJvmsGiveTheSingleJvmLossesThroughTheCli(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("text.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add("{\"text\": \"%d plus %d makes %d, and %d times two is %d.\"}".formatted(i, 7 * i % 13, i + 7 * i % 13, i, 2 * i));
        }
        Files.write(data, lines);
        Path tok = dir.resolve("tokenizer");
        GlmTokenizerFiles.train(List.of(data), 300, tok);
        List<String> common = List.of("train", "sft", "--model", MODEL.toString(), "--text", data.toString(), "--tokenizer",
                tok.toString(), "--steps", "3", "--rows", "2", "--row-length", "32", "--dtype", "F32", "--seed", "3",
                "--threads", "2", "--quiet");

        CliRun single = CliRun.of(args(common, "--out", dir.resolve("single").toString()));
        assertEquals(0, single.exitCode(), single.err());

        runThroughCluster(dir, MODEL, args(common, "--out", dir.resolve("cluster").toString()));

        List<JsonNode> expected = metrics(dir.resolve("single"));
        List<JsonNode> actual = metrics(dir.resolve("cluster"));
        assertEquals(3, expected.size());
        assertEquals(expected.size(), actual.size());
        for (int s = 0; s < expected.size(); s++) {
            for (String key : List.of("loss", "grad_norm", "ce", "mtp_loss")) {
                double e = expected.get(s).get(key).asDouble();
                double a = actual.get(s).get(key).asDouble();
                assertTrue(Math.abs(a - e) <= 1e-5 * Math.abs(e), key + " of step " + (s + 1) + ": single JVM " + e + ", cluster " + a);
            }
        }
        Path checkpoint;
        try (Stream<Path> saved = Files.list(dir.resolve("cluster/checkpoints"))) {
            checkpoint = saved.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).findFirst().orElseThrow();
        }
        assertTrue(Files.isRegularFile(checkpoint.resolve("owner-experts-a.bin")) && Files.isRegularFile(checkpoint.resolve("owner-experts-b.bin")));
        try (Checkpoint hf = Checkpoint.open(checkpoint); Checkpoint source = Checkpoint.open(MODEL); Parallel p = Parallel.create(1)) {
            assertEquals(TrainableModel.load(source, p).params().size(), TrainableModel.load(hf, p).params().size(),
                    "the cluster's HF checkpoint holds every tensor of the model");
        }
    }

    /**
     * A GRPO run of three steps after a short SFT of a tiny model (one MoE layer and the MTP layer, 4 routed experts,
     * as training's GrpoLoopTest) with AdamW weight decay: through the cluster it must give the single-JVM
     * command's per-step mean reward, policy loss and gradient norm (rel 1e-5), some step with mixed-reward groups,
     * and a final checkpoint whose MTP layer and router biases are the SFT checkpoint's, bit for bit.
     */
    @Test
    void grpoThroughThreeJvmsGivesTheSingleJvmCurveAndFreezesTheMtpLayer(@TempDir Path dir) throws Exception {
        TinyPolicy policy = TinyPolicy.afterSft(dir);
        Path model = policy.checkpoint();
        Path rl = policy.tasks();
        List<String> common = List.of("train", "grpo", "--model", model.toString(), "--tasks", rl.toString(), "--held-out",
                rl.toString(), "--steps", "3", "--prompts", "4", "--max-draws", "12", "--max-new-tokens", "6", "--lr", "1e-3",
                "--weight-decay", "0.1", "--seed", "5", "--eval-every", "0", "--dtype", "F32", "--threads", "2", "--quiet");

        CliRun single = CliRun.of(args(common, "--out", dir.resolve("single").toString()));
        assertEquals(0, single.exitCode(), single.err());
        runThroughCluster(dir, model, args(common, "--out", dir.resolve("cluster").toString()));

        List<JsonNode> expected = metrics(dir.resolve("single")).stream().filter(n -> n.get("step").asInt() > 0).toList();
        List<JsonNode> actual = metrics(dir.resolve("cluster")).stream().filter(n -> n.get("step").asInt() > 0).toList();
        assertEquals(3, expected.size());
        assertEquals(expected.size(), actual.size());
        boolean mixed = false;
        for (int s = 0; s < expected.size(); s++) {
            for (String key : List.of("mean_reward", "policy_loss", "grad_norm")) {
                double e = expected.get(s).get(key).asDouble();
                double a = actual.get(s).get(key).asDouble();
                assertTrue(Math.abs(a - e) <= 1e-5 * Math.abs(e), key + " of step " + (s + 1) + ": single JVM " + e + ", cluster " + a);
            }
            mixed |= expected.get(s).get("kept_groups").asInt() > 0 && expected.get(s).get("grad_norm").asDouble() > 0;
        }
        assertTrue(mixed, "some step had groups of mixed rewards and a non-zero gradient: " + expected);
        String mtp = "model.layers." + policy.config().mtpLayerIndex() + ".";
        try (Checkpoint start = Checkpoint.open(model);
             Checkpoint end = Checkpoint.open(dir.resolve("cluster/checkpoints/checkpoint-00000003"));
             Parallel p = Parallel.create(1)) {
            TrainableModel before = TrainableModel.load(start, p);
            TrainableModel after = TrainableModel.load(end, p);
            for (Param q : before.params()) {
                if (q.name().startsWith(mtp) || q.name().endsWith("e_score_correction_bias")) {
                    assertArrayEquals(q.value(), after.param(q.name()).value(), 0, q.name() + " is frozen during RL");
                }
            }
        }
    }

    /**
     * Runs the command {@code args} plus {@code --cluster} against two {@code conclave node --train} processes on
     * {@code model}, from the shipped {@code local-3-node.conf} with its ports moved to free ones.
     */
    private static void runThroughCluster(Path dir, Path model, String[] args) throws Exception {
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
            List<String> all = new ArrayList<>(List.of(args));
            all.addAll(List.of("--cluster", config.toString()));
            CliRun clustered = CliRun.of(all.toArray(String[]::new));
            assertEquals(0, clustered.exitCode(), clustered.err() + "\n" + logs(dir));
        } finally {
            nodes.forEach(Process::destroy);
            for (Process n : nodes) {
                if (!n.waitFor(20, TimeUnit.SECONDS)) {
                    n.destroyForcibly();
                }
            }
        }
    }

    private static String[] args(List<String> common, String... more) {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static List<JsonNode> metrics(Path out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            rows.add(json.readTree(line));
        }
        return rows;
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
