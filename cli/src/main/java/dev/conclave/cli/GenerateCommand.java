package dev.conclave.cli;

import dev.conclave.model.Generator;
import dev.conclave.model.Sampler;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generates token ids after a prompt on this JVM (temperature 0 = greedy).")
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--prompt-ids", required = true, paramLabel = "IDS", description = "Comma-separated prompt token ids.")
    String promptIds;

    @Option(names = "--max-tokens", defaultValue = "64", description = "Most tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "Sampling temperature; 0 is greedy (default).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens; 0 = all (default).")
    int topK;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--ignore-eos", description = "Keep generating past the config's eos_token_id.")
    boolean ignoreEos;

    @Option(names = "--json", description = "Print {\"ids\":[...]} instead of one line of ids.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int[] prompt = ModelOptions.parseIds(promptIds, "--prompt-ids");
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        Sampler sampler = new Sampler(temperature, topK, topP, seed);
        PrintWriter out = spec.commandLine().getOut();
        try (ModelOptions.Loaded m = model.load()) {
            Set<Integer> stop = ignoreEos ? Set.of() : new HashSet<>(m.pipeline().config().eosTokenIds());
            int[] ids = new Generator(m.pipeline()).generate(prompt, maxTokens, sampler, stop, t -> { });
            if (json) {
                out.println(Json.write(Map.of("ids", ids)));
            } else {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < ids.length; i++) {
                    line.append(i == 0 ? "" : ",").append(ids[i]);
                }
                out.println(line);
            }
        }
        return 0;
    }
}
