package dev.conclave.cli;

import dev.conclave.actors.ClusterClient;
import dev.conclave.actors.ClusterStepPipeline;
import dev.conclave.actors.Orchestrator;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ConfigLoader;
import dev.conclave.model.Generator;
import dev.conclave.model.MtpStats;
import dev.conclave.model.StepPipeline;
import dev.conclave.placement.PlacementLoader;
import java.nio.file.Path;
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
        header = "Generate token ids after a prompt, on this JVM or through a cluster.",
        description = {"Generates token ids after a prompt (temperature 0 = greedy): on this JVM with --model,",
                "or through a running cluster's orchestrator with --cluster (with --mtp, this process drafts over the",
                "cluster's steps and needs --model DIR for config.json)."})
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

    @Option(names = "--mtp", paramLabel = "N", defaultValue = "0",
            description = "Speculative decoding with N chained MTP drafts per step (default 0: off); acceptance goes to stderr.")
    int mtp;

    @Option(names = "--cluster", paramLabel = "FILE", description = "Run through the cluster of this placement (HOCON).")
    Path cluster;

    @Option(names = "--timeout", defaultValue = "120s", description = "With --cluster: longest wait for the answer (default ${DEFAULT-VALUE}).")
    String timeout;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int[] prompt = ModelOptions.parseIds(promptIds, "--prompt-ids");
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        if (mtp < 0) {
            throw new IllegalArgumentException("--mtp must be >= 0, got " + mtp);
        }
        Sampler sampler = new Sampler(temperature, topK, topP, seed);
        int[] ids = cluster == null ? local(prompt, sampler) : mtp > 0 ? draftingViaCluster(prompt, sampler) : viaCluster(prompt);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(Map.of("ids", ids)));
        } else {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < ids.length; i++) {
                line.append(i == 0 ? "" : ",").append(ids[i]);
            }
            out.println(line);
        }
        return 0;
    }

    private int[] local(int[] prompt, Sampler sampler) {
        try (ModelOptions.Loaded m = model.load()) {
            return generate(m.pipeline(), prompt, sampler);
        }
    }

    /** The drafts and their verification run here; every step is one round trip to the cluster's orchestrator. */
    private int[] draftingViaCluster(int[] prompt, Sampler sampler) {
        if (model.model == null) {
            throw new IllegalArgumentException("--cluster with --mtp needs --model DIR too: its config.json");
        }
        var config = ConfigLoader.load(model.model.resolve(Checkpoint.CONFIG_FILE));
        try (ClusterClient client = ClusterClient.connect(PlacementLoader.load(cluster))) {
            return generate(new ClusterStepPipeline(client, config, Durations.parse(timeout, "--timeout")), prompt, sampler);
        }
    }

    private int[] generate(StepPipeline pipeline, int[] prompt, Sampler sampler) {
        Set<Integer> stop = ignoreEos ? Set.of() : new HashSet<>(pipeline.config().eosTokenIds());
        Generator generator = new Generator(pipeline, mtp);
        int[] ids = generator.generate(prompt, maxTokens, sampler, stop, t -> { });
        if (mtp > 0) {
            MtpStats s = generator.lastStats();
            StringBuilder rates = new StringBuilder();
            for (int d = 0; d < mtp; d++) {
                rates.append(d == 0 ? "" : ", ").append(String.format("%.3f", s.acceptanceRate(d)));
            }
            spec.commandLine().getErr().printf("mtp: %d verify steps, %.2f tokens per step, acceptance by draft position [%s]%n",
                    s.steps(), s.meanTokensPerStep(), rates);
        }
        return ids;
    }

    private int[] viaCluster(int[] prompt) {
        try (ClusterClient client = ClusterClient.connect(PlacementLoader.load(cluster))) {
            var result = client.ask(replyTo -> new Orchestrator.Generate(prompt, maxTokens, temperature, topP, topK,
                    seed, ignoreEos, replyTo), Durations.parse(timeout, "--timeout"));
            return switch (result) {
                case Orchestrator.Generated g -> g.ids();
                case Orchestrator.Failed f -> throw new IllegalStateException(f.reason());
                default -> throw new IllegalStateException("unexpected answer " + result);
            };
        }
    }
}
