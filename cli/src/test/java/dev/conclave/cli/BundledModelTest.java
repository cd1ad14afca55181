package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped model ({@code models/conclave-tiny}, trained by Conclave itself): it answers held-out additions
 * with its carry trace, MTP drafting leaves greedy output unchanged while accepting most drafts, and the
 * README's main command, {@code conclave demo}, runs its scripted chat through the HTTP API.
 */
class BundledModelTest {

    static final Path MODEL = Path.of("..", "models", "conclave-tiny");

    static Checkpoint checkpoint;
    static Parallel parallel;
    static InProcessPipeline pipeline;
    static Tokenizer tokenizer;
    static ChatTemplate template;

    @BeforeAll
    static void load() throws Exception {
        checkpoint = Checkpoint.open(MODEL);
        parallel = Parallel.create(2);
        pipeline = InProcessPipeline.load(checkpoint, parallel);
        tokenizer = Tokenizer.load(MODEL);
        template = ChatTemplate.load(MODEL);
    }

    @AfterAll
    static void close() {
        parallel.close();
        checkpoint.close();
    }

    private static int[] prompt(String user) {
        return tokenizer.encode(template.render(List.of(Map.of("role", "user", "content", user)), null, true, Map.of()), false);
    }

    private static String answer(int[] prompt, int drafts) {
        Set<Integer> stops = Set.copyOf(pipeline.config().eosTokenIds());
        int[] out = new Generator(pipeline, drafts).generate(prompt, 96, Sampler.greedy(), stops, t -> { });
        return tokenizer.decode(out, true);
    }

    @Test
    void addsHeldOutNumbersWithItsCarryTrace() {
        int[][] problems = {{487, 256}, {905, 118}, {333, 669}, {71, 29}, {640, 360}};
        for (int[] p : problems) {
            String question = String.format("%03d+%03d=", p[0], p[1]);
            String text = answer(prompt(question), 0);
            String sum = String.format("%04d", p[0] + p[1]);
            assertTrue(text.contains("result " + sum) && text.strip().endsWith(sum), question + " -> " + text);
        }
    }

    @Test
    void mtpDraftsLeaveGreedyOutputUnchangedAndAreMostlyAccepted() {
        for (String user : List.of("487+256=", "sort: 64 12 90 33", "905+118=")) {
            int[] p = prompt(user);
            String plain = answer(p, 0);
            for (int drafts = 1; drafts <= 3; drafts++) {
                assertEquals(plain, answer(p, drafts), user + " with " + drafts + " drafts");
            }
        }
        Generator one = new Generator(pipeline, 1);
        one.generate(prompt("487+256="), 96, Sampler.greedy(), Set.copyOf(pipeline.config().eosTokenIds()), t -> { });
        double accepted = one.lastStats().acceptanceRate(0);
        assertTrue(accepted >= 0.9, "first-draft acceptance on an addition answer: " + accepted);
    }

    @Test
    void demoHoldsItsScriptedChat() {
        CliRun run = CliRun.of("demo", "--model", MODEL.toString(), "--mtp", "1");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("result 0743"), run.out());
        assertTrue(run.out().contains("sort: 64 12 90 33\nassistant: 12 33 64 90"), run.out());
        // The whole round trip: the right call, the tool's result, and the answer built on it (this needs the
        // call's reasoning sent back, as GLM's template keeps the thinking of the tool-call loop).
        assertTrue(run.out().contains("tool: calculator(345*267) = 92115"), run.out());
        assertTrue(run.out().strip().contains("345*267 = 92115"), run.out());
        assertTrue(run.out().indexOf("345*267 = 92115") > run.out().indexOf("tool: calculator("), run.out());
        assertTrue(run.out().contains("tokens per step"), run.out());
    }
}
