package dev.conclave.cli;

import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import dev.conclave.model.Sequence;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "logits", mixinStandardHelpOptions = true,
        header = "Logits of every prompt position as JSON (and the MTP draft with --mtp).",
        description = {"Runs one prefill over the tokens and prints the logits of every position as JSON:",
                "{\"tokens\":[...],\"logits\":[[...],...],\"mtp\":{\"next_token\":N,\"logits_last\":[...]}}",
                "With --mtp, the MTP layer drafts at the last position after the greedy next token."})
final class LogitsCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--tokens", required = true, paramLabel = "IDS", description = "Comma-separated token ids.")
    String tokens;

    @Option(names = "--mtp", description = "Also print the MTP layer's draft logits at the last position.")
    boolean mtp;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int[] ids = ModelOptions.parseIds(tokens, "--tokens");
        try (ModelOptions.Loaded m = model.load()) {
            InProcessPipeline p = m.pipeline();
            Sequence seq = p.newSequence();
            var out = p.step(List.of(seq), List.of(ids), InProcessPipeline.Logits.ALL);
            int vocab = p.vocab();
            List<float[]> rows = new ArrayList<>();
            for (int r = 0; r < ids.length; r++) {
                rows.add(out.logitsOf(r, vocab));
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("tokens", ids);
            json.put("logits", rows);
            if (mtp) {
                int next = Sampler.argmax(rows.get(ids.length - 1));
                int[] following = new int[ids.length];
                System.arraycopy(ids, 1, following, 0, ids.length - 1);
                following[ids.length - 1] = next;
                float[] draft = p.mtpDraft(seq, out, following);
                json.put("mtp", Map.of("next_token", next, "logits_last", draft));
            }
            spec.commandLine().getOut().println(Json.write(json));
        }
        return 0;
    }
}
