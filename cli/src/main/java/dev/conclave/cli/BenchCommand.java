package dev.conclave.cli;

import dev.conclave.actors.ClusterClient;
import dev.conclave.actors.Orchestrator;
import dev.conclave.core.bench.MemoryBandwidth;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.MtpStats;
import dev.conclave.model.StepCost;
import dev.conclave.model.Sampler;
import dev.conclave.model.Sequence;
import dev.conclave.placement.PlacementLoader;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import java.io.IOException;
import java.time.Duration;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true,
        header = "Prefill and decode tok/s next to memory bandwidth and llama.cpp.",
        description = {"Measures prefill and greedy decode speed on this JVM, next to this machine's memory",
                "bandwidth (measured in the same run), the decode roofline it implies, and llama.cpp's figures."})
final class BenchCommand implements Callable<Integer> {

    /** llama.cpp c9ced49, 2 threads, BF16, on this machine kind, for the project's bench model. */
    private static final double LLAMA_CPP_DECODE = 26.1;
    private static final double LLAMA_CPP_PREFILL = 85.6;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--prompt", defaultValue = "128", description = "Prompt tokens to prefill (default ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "--gen", defaultValue = "64", description = "Tokens to decode (default ${DEFAULT-VALUE}).")
    int gen;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--bandwidth-mib", defaultValue = "1024",
            description = "Buffer for the memory bandwidth probe, far beyond the caches (default ${DEFAULT-VALUE}).")
    int bandwidthMiB;

    @Option(names = "--cluster", paramLabel = "FILE",
            description = "Also time the same prompt through this running cluster (e.g. local-3-node.conf).")
    Path cluster;

    @Option(names = "--mtp", paramLabel = "N", defaultValue = "0",
            description = "Also decode with 1..N chained MTP drafts per step, side by side with no MTP (greedy, same prompt).")
    int mtp;

    @Option(names = "--chat", paramLabel = "TEXT",
            description = "With --mtp: decode answers to these user messages (rendered with the checkpoint's chat template,"
                    + " stopping at its eos ids) instead of random prompt ids, so draft acceptance is the model's real one; repeatable.")
    List<String> chat;

    @Option(names = "--json", description = "Print the figures as JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (prompt < 1 || gen < 1 || repeats < 1 || bandwidthMiB < 1) {
            throw new IllegalArgumentException("--prompt, --gen, --repeats and --bandwidth-mib must be >= 1");
        }
        if (mtp < 0 || (mtp > 0 && gen < 2)) {
            throw new IllegalArgumentException("--mtp must be >= 0, and with drafts --gen >= 2 (the first token is not timed)");
        }
        try (ModelOptions.Loaded m = model.load()) {
            InProcessPipeline p = m.pipeline();
            ModelConfig c = p.config();
            int[] ids = new SplittableRandom(1).ints(prompt, 0, c.vocabSize()).toArray();
            run(p, ids, Math.min(gen, 8));
            double bestPrefill = 0;
            double bestDecode = 0;
            for (int r = 0; r < repeats; r++) {
                double[] t = run(p, ids, gen);
                bestPrefill = Math.max(bestPrefill, prompt / t[0]);
                bestDecode = Math.max(bestDecode, gen / t[1]);
                System.err.printf("run %d/%d: prefill %.1f tok/s, decode %.1f tok/s%n", r + 1, repeats, prompt / t[0], gen / t[1]);
            }
            long peakRss = peakRssMiB();
            double bandwidth = MemoryBandwidth.measure(m.parallel(), (long) bandwidthMiB << 20, 3);
            long activeBytes = ActiveBytes.perDecodeToken(m.checkpoint());
            double roofline = bandwidth / activeBytes;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", model.model.toString());
            r.put("threads", m.parallel().threads());
            r.put("prompt_tokens", prompt);
            r.put("gen_tokens", gen);
            r.put("prefill_tok_s", round(bestPrefill));
            r.put("decode_tok_s", round(bestDecode));
            r.put("active_bytes_per_token", activeBytes);
            r.put("memory_bandwidth_gb_s", round(bandwidth / 1e9));
            r.put("decode_roofline_tok_s", round(roofline));
            r.put("decode_pct_of_roofline", round(100 * bestDecode / roofline));
            r.put("peak_rss_mib", peakRss);
            r.put("llama_cpp_decode_tok_s", LLAMA_CPP_DECODE);
            r.put("llama_cpp_prefill_tok_s", LLAMA_CPP_PREFILL);
            if (mtp > 0) {
                Speculation speculation = speculative(p, ids);
                r.put("mtp", speculation.rows());
                r.put("mtp_step_cost", speculation.stepCost());
            }
            if (cluster != null) {
                double[] best = throughCluster(ids);
                r.put("cluster", cluster.toString());
                r.put("cluster_prefill_tok_s", round(best[0]));
                r.put("cluster_decode_tok_s", round(best[1]));
                r.put("cluster_vs_single_decode", Math.round(100 * best[1] / bestDecode) / 100.0);
            }
            print(r);
        }
        return 0;
    }

    /** The per-draft-count rows of {@link #speculative} and one step's median cost by rows fed. */
    private record Speculation(List<Map<String, Object>> rows, List<Map<String, Object>> stepCost) {
    }

    /**
     * Greedy decode with 0..mtp drafts per step over the same prompt: best decode tok/s (after the first
     * token, so the prefill is left out) of the repeats, the speculation counters, and whether the output is
     * the plain one; then the step costs that bound the speedup.
     */
    private Speculation speculative(InProcessPipeline p, int[] ids) throws IOException {
        if (!p.hasMtp()) {
            throw new IllegalArgumentException("--mtp needs a checkpoint with an MTP layer; " + model.model + " has none");
        }
        List<int[]> prompts = new java.util.ArrayList<>();
        Set<Integer> stops = Set.of();
        if (chat == null || chat.isEmpty()) {
            prompts.add(ids);
        } else {
            var template = ChatTemplate.load(model.model);
            var tokenizer = Tokenizer.load(model.model);
            for (String message : chat) {
                List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", message));
                prompts.add(tokenizer.encode(template.render(messages, null, true, Map.of()), false));
            }
            stops = Set.copyOf(p.config().eosTokenIds());
        }
        List<Map<String, Object>> rows = new java.util.ArrayList<>();
        List<int[]> plain = null;
        double plainRate = 0;
        for (int drafts = 0; drafts <= mtp; drafts++) {
            Generator g = new Generator(p, drafts);
            g.generate(prompts.get(0), Math.min(gen, 8), Sampler.greedy(), Set.of(), t -> { });
            double best = 0;
            List<int[]> out = null;
            MtpStats s = new MtpStats(drafts);
            for (int r = 0; r < repeats; r++) {
                out = new java.util.ArrayList<>();
                long tokens = 0;
                long nanos = 0;
                for (int[] prompt : prompts) {
                    long[] first = {0};
                    int[] answer = g.generate(prompt, gen, Sampler.greedy(), stops, t -> {
                        if (first[0] == 0) {
                            first[0] = System.nanoTime();
                        }
                    });
                    nanos += System.nanoTime() - first[0];
                    tokens += answer.length - 1;
                    out.add(answer);
                    if (r == 0 && drafts > 0) {
                        s.add(g.lastStats());
                    }
                }
                double rate = tokens / (nanos / 1e9);
                best = Math.max(best, rate);
                System.err.printf("mtp %d run %d/%d: decode %.1f tok/s%n", drafts, r + 1, repeats, rate);
            }
            if (drafts == 0) {
                plain = out;
                plainRate = best;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("drafts", drafts);
            row.put("decode_tok_s", round(best));
            row.put("speedup", Math.round(100 * best / plainRate) / 100.0);
            row.put("tokens_per_step", drafts == 0 ? 1.0 : Math.round(100 * s.meanTokensPerStep()) / 100.0);
            List<Double> rates = new java.util.ArrayList<>();
            for (int d = 0; d < drafts; d++) {
                rates.add(Math.round(1000 * s.acceptanceRate(d)) / 1000.0);
            }
            row.put("acceptance_by_position", rates);
            boolean same = plain.size() == out.size();
            for (int i = 0; same && i < out.size(); i++) {
                same = java.util.Arrays.equals(plain.get(i), out.get(i));
            }
            row.put("same_output", same);
            rows.add(row);
        }
        // What one step costs by rows fed, after the first prompt and its answer: the bound on any speedup.
        int[] context = java.util.stream.IntStream.concat(java.util.Arrays.stream(prompts.get(0)),
                java.util.Arrays.stream(plain.get(0))).toArray();
        StepCost.Costs costs = StepCost.measure(p, context, mtp + 1, 200);
        List<Map<String, Object>> stepCosts = new java.util.ArrayList<>();
        for (int rowsFed = 1; rowsFed <= mtp + 1; rowsFed++) {
            stepCosts.add(Map.of("rows", rowsFed, "main_us", round(costs.main()[rowsFed - 1]),
                    "mtp_us", round(costs.mtp()[rowsFed - 1])));
        }
        for (Map<String, Object> row : rows) {
            int drafts = (Integer) row.get("drafts");
            double tau = (Double) row.get("tokens_per_step");
            row.put("predicted_speedup", Math.round(100 * costs.predictedSpeedup(drafts, tau)) / 100.0);
        }
        return new Speculation(rows, stepCosts);
    }

    /** Seconds for a prefill of {@code ids} and for {@code gen} greedy decode steps after it. */
    private static double[] run(InProcessPipeline p, int[] ids, int gen) {
        Sequence seq = p.newSequence();
        long t0 = System.nanoTime();
        var out = p.step(List.of(seq), List.of(ids), InProcessPipeline.Logits.LAST_PER_SEQUENCE);
        long t1 = System.nanoTime();
        int token = Sampler.argmax(out.logitsOf(0, p.vocab()));
        for (int i = 0; i < gen; i++) {
            out = p.step(List.of(seq), List.of(new int[] {token}), InProcessPipeline.Logits.LAST_PER_SEQUENCE);
            token = Sampler.argmax(out.logitsOf(0, p.vocab()));
        }
        long t2 = System.nanoTime();
        return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }

    /**
     * Best prefill and decode tok/s through the cluster's orchestrator: a one-token request times the
     * prefill, a (gen + 1)-token request minus that prefill times the decode.
     */
    private double[] throughCluster(int[] ids) {
        try (ClusterClient client = ClusterClient.connect(PlacementLoader.load(cluster))) {
            Duration timeout = Duration.ofMinutes(10);
            timedGenerate(client, ids, Math.min(gen, 8) + 1, timeout);
            double bestPrefill = 0;
            double bestDecode = 0;
            for (int r = 0; r < repeats; r++) {
                double prefill = timedGenerate(client, ids, 1, timeout);
                double all = timedGenerate(client, ids, gen + 1, timeout);
                bestPrefill = Math.max(bestPrefill, prompt / prefill);
                bestDecode = Math.max(bestDecode, gen / (all - prefill));
                System.err.printf("cluster run %d/%d: prefill %.1f tok/s, decode %.1f tok/s%n", r + 1, repeats,
                        prompt / prefill, gen / (all - prefill));
            }
            return new double[] {bestPrefill, bestDecode};
        }
    }

    private static double timedGenerate(ClusterClient client, int[] ids, int tokens, Duration timeout) {
        long t0 = System.nanoTime();
        var result = client.ask(r -> new Orchestrator.Generate(ids, tokens, 0, 1, 0, 0, true, r), timeout);
        if (result instanceof Orchestrator.Failed f) {
            throw new IllegalStateException("the cluster failed the bench request: " + f.reason());
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private void print(Map<String, Object> r) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(r));
            return;
        }
        out.printf("%-28s %14s %14s%n", "", "conclave", "llama.cpp BF16*");
        out.printf("%-28s %14.1f %14.1f%n", "prefill tok/s (" + r.get("prompt_tokens") + " tokens)", r.get("prefill_tok_s"), LLAMA_CPP_PREFILL);
        out.printf("%-28s %14.1f %14.1f%n", "decode tok/s (" + r.get("gen_tokens") + " tokens)", r.get("decode_tok_s"), LLAMA_CPP_DECODE);
        out.printf("%-28s %14.1f%n", "memory bandwidth GB/s", r.get("memory_bandwidth_gb_s"));
        out.printf("%-28s %14.1f%n", "active MB per decode token", ((Number) r.get("active_bytes_per_token")).longValue() / 1e6);
        out.printf("%-28s %14.1f%n", "decode roofline tok/s", r.get("decode_roofline_tok_s"));
        out.printf("%-28s %13.1f%%%n", "decode / roofline", r.get("decode_pct_of_roofline"));
        out.printf("%-28s %14d%n", "peak RSS MiB", r.get("peak_rss_mib"));
        out.printf("%-28s %14d%n", "threads", r.get("threads"));
        if (r.containsKey("cluster")) {
            out.printf("%-28s %14.1f%n", "cluster prefill tok/s", r.get("cluster_prefill_tok_s"));
            out.printf("%-28s %14.1f   (%.2fx single JVM)%n", "cluster decode tok/s", r.get("cluster_decode_tok_s"),
                    r.get("cluster_vs_single_decode"));
        }
        out.println("* llama.cpp c9ced49 on this machine kind, 2 threads, for the bench model (reference figures).");
        if (r.containsKey("mtp")) {
            out.println();
            out.printf("%-8s %14s %9s %16s %11s   %s%n", "drafts", "decode tok/s", "speedup", "tokens / step",
                    "predicted", "acceptance by position (same output)");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get("mtp");
            for (Map<String, Object> row : rows) {
                out.printf("%-8d %14.1f %8.2fx %16.2f %10.2fx   %s (%s)%n", row.get("drafts"), row.get("decode_tok_s"),
                        row.get("speedup"), row.get("tokens_per_step"), row.get("predicted_speedup"),
                        row.get("acceptance_by_position"), row.get("same_output"));
            }
            out.println();
            out.printf("%-8s %16s %16s%n", "rows", "main step µs", "MTP layer µs");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> costs = (List<Map<String, Object>>) r.get("mtp_step_cost");
            for (Map<String, Object> row : costs) {
                out.printf("%-8d %16.1f %16.1f%n", row.get("rows"), row.get("main_us"), row.get("mtp_us"));
            }
            out.println("predicted = tokens per step × main(1) / (main(k+1) + MTP over the kept rows + (k−1) chained MTP rows),"
                    + " from the median step costs above: the most drafting can gain with these kernels.");
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** VmHWM from /proc (Linux), mapped checkpoint pages included; -1 elsewhere. */
    static long peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
