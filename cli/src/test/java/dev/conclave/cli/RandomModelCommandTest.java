package dev.conclave.cli;

import dev.conclave.core.config.ConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.SafetensorsTestFiles;
import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.model.ParamPlan;
import dev.conclave.model.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomModelCommandTest {

    @TempDir
    Path dir;

    private static RandomModelCommand parsed(String... args) {
        RandomModelCommand command = new RandomModelCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void defaultsAreTheBenchModel() {
        assertEquals(TestConfigs.bench(), parsed("--out", dir.toString()).modelConfig());
    }

    @Test
    void everyConfigKeyHasAnOptionNamedAfterIt() throws IOException {
        // Keys that are constants of the architecture, or set by another option (torch_dtype: --dtype).
        Set<String> fixed = Set.of("architectures", "model_type", "rope_scaling", "hidden_act", "tie_word_embeddings",
                "attention_dropout", "initializer_range", "use_cache", "torch_dtype");
        CommandLine cl = new CommandLine(new RandomModelCommand());
        List<String> missing = new ArrayList<>();
        new ObjectMapper().readTree(ConfigWriter.toJson(TestConfigs.bench(), DType.BF16)).fieldNames().forEachRemaining(key -> {
            if (!fixed.contains(key) && cl.getCommandSpec().findOption("--" + key.replace('_', '-')) == null) {
                missing.add(key);
            }
        });
        assertEquals(List.of(), missing);
    }

    @Test
    void writesATinyModelThatReadsBack() throws IOException {
        String[] args = {"random-model", "--out", dir.toString(), "--dtype", "F32", "--seed", "5",
                "--vocab-size", "64", "--hidden-size", "16", "--num-hidden-layers", "3", "--num-attention-heads", "2",
                "--num-key-value-heads", "1", "--head-dim", "8", "--intermediate-size", "24",
                "--moe-intermediate-size", "8", "--n-routed-experts", "4", "--num-experts-per-tok", "2",
                "--use-qk-norm", "true", "--attention-bias", "false", "--eos-token-id", "1,2",
                "--max-position-embeddings", "256", "--rope-theta", "10000"};
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("wrote " + dir), run.out());
        assertTrue(run.err().contains("100%"), run.err());

        ModelConfig expected = new ModelConfig("glm4_moe", 64, 16, 3, 2, 1, 8, 24, 8, 4, 1, 2, 1, 1, 1,
                true, 2.5, 10_000, 0.5, false, true, 1e-5, 256, false, 1, 0, List.of(1, 2), "float32");
        assertEquals(expected, ConfigLoader.load(dir.resolve("config.json")));

        Path weights = dir.resolve("model.safetensors");
        SafetensorsTestFiles.Header header = SafetensorsTestFiles.header(weights);
        long params = 0;
        for (String name : header.names()) {
            for (float x : SafetensorsTestFiles.floats(weights, name)) {
                assertTrue(Float.isFinite(x), name);
                params++;
            }
        }
        assertEquals(ParamPlan.of(expected).total(), params);
        assertTrue(header.names().contains("model.layers.3.self_attn.q_norm.weight"));
    }
}
