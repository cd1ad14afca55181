package dev.conclave.cli;

import dev.conclave.core.config.ConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.tensor.DType;
import dev.conclave.model.ParamPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code conclave plan}: the spec §9 parameter counts of a config and the bytes its weights take. */
@Command(name = "plan",
        mixinStandardHelpOptions = true,
        description = "Parameter counts (spec §9) and weight bytes of a GLM-4.5-architecture model.")
final class PlanCommand implements Callable<Integer> {

    /** Rows that carry a published headline figure, and the mark the table gives them. */
    private static final Map<String, String> MARKS = Map.of(
            "main_with_embeddings", "H",
            "main_and_mtp_without_embeddings", "H",
            "total_params", "T",
            "active_params", "A");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "the model's config.json")
    Path config;

    @Option(names = "--dtype", defaultValue = "BF16",
            description = "weight dtype for byte counts: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    DType dtype;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Override
    public Integer call() throws IOException {
        ParamPlan plan = ParamPlan.of(ConfigLoader.load(config));
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(plan) : table(plan));
        out.flush();
        return 0;
    }

    private String json(ParamPlan plan) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("dtype", dtype.name());
        plan.rows().forEach(row -> n.put(row.key(), row.params()));
        n.put("total_bytes", plan.totalBytes(dtype));
        ObjectNode byDtype = n.putObject("total_bytes_by_dtype");
        for (DType d : DType.values()) {
            byDtype.put(d.name(), plan.totalBytes(d));
        }
        n.put("active_bytes_per_token", plan.activeBytesPerToken(dtype));
        return JSON.writeValueAsString(n) + "\n";
    }

    private String table(ParamPlan plan) {
        StringBuilder s = new StringBuilder();
        s.append("Parameter plan for ").append(config).append(" (weights ").append(dtype)
                .append(", e_score_correction_bias F32)\n\n");
        String format = "%-2s%-38s%20s%12s%14s%n";
        s.append(String.format(Locale.ROOT, format, "", "quantity", "parameters", "", dtype + " bytes"));
        for (ParamPlan.Row row : plan.rows()) {
            s.append(String.format(Locale.ROOT, format, MARKS.getOrDefault(row.key(), ""), row.label(),
                    String.format(Locale.ROOT, "%,d", row.params()), Sizes.params(row.params()),
                    Sizes.bytes(row.bytes(dtype))));
        }
        s.append("""

                H  headline total: GLM-4.5's "355B" is main + MTP excl. emb + head,
                   GLM-4.5-Air's "106B" is the main model incl. emb + head without MTP
                T  total_params: every tensor of the checkpoint, MTP copies of emb/head included
                A  active_params: the headline "A32B" / "A12B", main-model layers without emb and head
                """);
        s.append("\ncheckpoint size: ").append(Arrays.stream(DType.values())
                .map(d -> Sizes.bytes(plan.totalBytes(d)) + " " + d).collect(Collectors.joining(", ")));
        s.append("\nweights read per decoded token (active incl. lm_head): ")
                .append(Sizes.bytes(plan.activeBytesPerToken(dtype))).append(' ').append(dtype).append('\n');
        return s.toString();
    }
}
