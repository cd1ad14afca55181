package dev.conclave.model;

import static dev.conclave.core.testing.Numerics.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.model.InProcessPipeline.Logits;
import dev.conclave.model.StepPipeline.StepOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole in-process pipeline against the golden fixtures (fixtures README): logits from an independent
 * float64 implementation, for every prompt position, the greedy continuation and the MTP draft. Each
 * fixture's pipeline is loaded once and reused by all tests, which also checks that no state leaks from
 * one step to the next through the pipeline's reused buffers.
 */
class GoldenFixtureTest {

    /** README tolerance for an F32 implementation. */
    private static final double GOLDEN_REL_L2 = 1e-4;
    /** Batched and unbatched runs do the same float32 math on rows; only summation order may differ. */
    private static final double BATCH_REL_L2 = 1e-5;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The parsed golden.json: {@code logits} are [tokens.length, vocab] row-major. */
    record Golden(int[] tokens, int vocab, float[] logits, int[] argmax, int[] greedy16, int mtpNextToken,
                  float[] mtpLogitsLast) {

        static Golden read(java.nio.file.Path file) {
            try {
                JsonNode root = JSON.readTree(file.toFile());
                int[] tokens = ints(root.get("tokens"));
                JsonNode shape = root.get("logits_shape");
                int vocab = shape.get(1).intValue();
                assertEquals(tokens.length, shape.get(0).intValue(), "golden logits cover every prompt position");
                float[] logits = new float[tokens.length * vocab];
                int i = 0;
                for (JsonNode row : root.get("logits")) {
                    assertEquals(vocab, row.size());
                    for (JsonNode v : row) {
                        logits[i++] = v.floatValue();
                    }
                }
                JsonNode mtp = root.get("mtp");
                return new Golden(tokens, vocab, logits, ints(root.get("argmax")), ints(root.get("greedy_16")),
                        mtp.get("next_token").intValue(), floats(mtp.get("logits_last_sglang")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static int[] ints(JsonNode array) {
            int[] out = new int[array.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = array.get(i).intValue();
            }
            return out;
        }

        private static float[] floats(JsonNode array) {
            float[] out = new float[array.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = array.get(i).floatValue();
            }
            return out;
        }

        float[] rows(int from, int to) {
            return Arrays.copyOfRange(logits, from * vocab, to * vocab);
        }

        int[] argmax(int from, int to) {
            return Arrays.copyOfRange(argmax, from, to);
        }

        int length() {
            return tokens.length;
        }

        int[] prefix(int n) {
            return Arrays.copyOf(tokens, n);
        }
    }

    record Model(Checkpoint checkpoint, InProcessPipeline pipeline, Golden golden) {
        int vocab() {
            return pipeline.vocab();
        }
    }

    private static Parallel parallel;
    private static final Map<String, Model> MODELS = new ConcurrentHashMap<>();

    @BeforeAll
    static void startThreads() {
        parallel = Parallel.create(2);
    }

    @AfterAll
    static void closeAll() {
        MODELS.values().forEach(m -> m.checkpoint().close());
        MODELS.clear();
        parallel.close();
    }

    private static Model model(String fixture) {
        return MODELS.computeIfAbsent(fixture, name -> {
            var dir = Fixtures.fixture(name);
            Checkpoint checkpoint = Checkpoint.open(dir);
            InProcessPipeline pipeline = InProcessPipeline.load(checkpoint, parallel);
            Golden golden = Golden.read(dir.resolve("golden.json"));
            assertEquals(golden.vocab(), pipeline.vocab());
            return new Model(checkpoint, pipeline, golden);
        });
    }

    // --- helpers --------------------------------------------------------------------------------------------


    private static void assertClose(float[] reference, float[] ours, double tolerance, String what) {
        double rel = relL2(ours, reference);
        assertTrue(rel <= tolerance, what + ": rel-L2 " + rel + " > " + tolerance);
    }

    private static int[] argmaxPerRow(float[] logits, int vocab) {
        int[] out = new int[logits.length / vocab];
        for (int r = 0; r < out.length; r++) {
            out[r] = Sampler.argmax(Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab));
        }
        return out;
    }

    private static void assertMatchesGolden(Model m, float[] logits, int from, int to, String what) {
        Golden g = m.golden();
        assertClose(g.rows(from, to), logits, GOLDEN_REL_L2, what);
        assertArrayEquals(g.argmax(from, to), argmaxPerRow(logits, g.vocab()), what + ": argmax per position");
    }

    /** Logits of sequence s's rows in a step that returned {@link Logits#ALL}. */
    private static float[] rowsOf(StepOutput out, int s, int vocab) {
        int from = out.layout().start(s);
        int to = from + out.layout().count(s);
        return Arrays.copyOfRange(out.logits(), from * vocab, to * vocab);
    }

    private static StepOutput prefill(Model m, Sequence seq, int[] tokens) {
        return m.pipeline().step(List.of(seq), List.of(tokens), Logits.ALL);
    }

    private static float[] concat(List<float[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    // --- (a) prefill --------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void prefillMatchesGoldenLogitsAtEveryPosition(String fixture) {
        Model m = model(fixture);
        Sequence seq = m.pipeline().newSequence();
        StepOutput out = prefill(m, seq, m.golden().tokens());
        assertEquals(m.golden().length(), out.logitRows().length);
        assertMatchesGolden(m, out.logits(), 0, m.golden().length(), fixture + " prefill");
        assertEquals(m.golden().length(), seq.length());
        assertArrayEquals(m.golden().tokens(), seq.tokens());
    }

    // --- (b) token by token through the KV cache ----------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void tokenByTokenDecodeThroughTheKvCacheMatchesGolden(String fixture) {
        Model m = model(fixture);
        Sequence seq = m.pipeline().newSequence();
        int[] tokens = m.golden().tokens();
        float[][] rows = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            StepOutput out = prefill(m, seq, new int[] {tokens[i]});
            assertEquals(i, out.layout().startPosition(0));
            rows[i] = out.logits();
        }
        assertMatchesGolden(m, concat(List.of(rows)), 0, tokens.length, fixture + " token by token");
    }

    // --- (c) greedy generation ------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void greedyGenerationReproducesGreedy16(String fixture) {
        Model m = model(fixture);
        List<Integer> seen = new java.util.ArrayList<>();
        int[] generated = new Generator(m.pipeline()).generate(m.golden().tokens(), 16, Sampler.greedy(), Set.of(),
                seen::add);
        assertArrayEquals(m.golden().greedy16(), generated);
        assertEquals(Arrays.stream(generated).boxed().toList(), seen, "onToken sees every token in order");
    }

    // --- (d) MTP draft ----------------------------------------------------------------------------------------------

    /**
     * After the prefill, the main model's next token is the argmax of the last row; the MTP layer then runs
     * over every prompt position i with (h_i, t_{i+1}), t_T being that next token, and its last row is the
     * draft for the token after it (SGLang convention, no masking at position 0).
     */
    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void mtpDraftMatchesGoldenSglangLogits(String fixture) {
        Model m = model(fixture);
        Golden g = m.golden();
        assertTrue(m.pipeline().hasMtp(), fixture + " has an MTP layer");
        Sequence seq = m.pipeline().newSequence();
        StepOutput out = prefill(m, seq, g.tokens());
        int next = Sampler.argmax(out.logitsOf(g.length() - 1, m.vocab()));
        assertEquals(g.mtpNextToken(), next, "main model's next token");

        int[] following = Arrays.copyOf(Arrays.copyOfRange(g.tokens(), 1, g.length()), g.length());
        following[g.length() - 1] = next;
        float[] draft = m.pipeline().mtpDraft(seq, out, following);
        assertClose(g.mtpLogitsLast(), draft, GOLDEN_REL_L2, fixture + " MTP draft logits");
        assertEquals(Sampler.argmax(g.mtpLogitsLast()), Sampler.argmax(draft), "drafted token");
    }

    // --- (e) batching ------------------------------------------------------------------------------------------------

    /** The full prompt and a shorter prefix of it, prefilled in one step, give what each gives alone. */
    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void twoSequencesInOneStepMatchRunningThemSeparately(String fixture) {
        Model m = model(fixture);
        InProcessPipeline p = m.pipeline();
        int[] full = m.golden().tokens();
        int[] prefix = m.golden().prefix(full.length / 2 + 1);

        float[] fullAlone = prefill(m, p.newSequence(), full).logits();
        float[] prefixAlone = prefill(m, p.newSequence(), prefix).logits();

        StepOutput both = p.step(List.of(p.newSequence(), p.newSequence()), List.of(full, prefix), Logits.ALL);
        assertEquals(full.length + prefix.length, both.layout().rows());
        assertClose(fullAlone, rowsOf(both, 0, m.vocab()), BATCH_REL_L2, fixture + " full prompt in a batch");
        assertClose(prefixAlone, rowsOf(both, 1, m.vocab()), BATCH_REL_L2, fixture + " prefix in a batch");
        assertMatchesGolden(m, rowsOf(both, 0, m.vocab()), 0, full.length, fixture + " batched vs golden");
    }

    /**
     * Sequence A, already prefilled, decodes its next token in the same step as sequence B's prefill. A's
     * decode row must match A decoding alone, and B's rows B's prefill alone.
     */
    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void decodeAndPrefillMixedInOneStepMatchRunningThemSeparately(String fixture) {
        Model m = model(fixture);
        InProcessPipeline p = m.pipeline();
        int[] promptA = m.golden().tokens();
        int[] promptB = m.golden().prefix(promptA.length - 3);
        int next = m.golden().mtpNextToken();

        Sequence aloneA = p.newSequence();
        prefill(m, aloneA, promptA);
        float[] decodeAlone = prefill(m, aloneA, new int[] {next}).logits();
        float[] prefillAlone = prefill(m, p.newSequence(), promptB).logits();

        Sequence a = p.newSequence();
        prefill(m, a, promptA);
        Sequence b = p.newSequence();
        StepOutput mixed = p.step(List.of(a, b), List.of(new int[] {next}, promptB), Logits.ALL);
        assertEquals(promptA.length, mixed.layout().startPosition(0));
        assertEquals(0, mixed.layout().startPosition(1));
        assertClose(decodeAlone, rowsOf(mixed, 0, m.vocab()), BATCH_REL_L2, fixture + " decode row in a mixed step");
        assertClose(prefillAlone, rowsOf(mixed, 1, m.vocab()), BATCH_REL_L2, fixture + " prefill rows in a mixed step");
        assertEquals(m.golden().greedy16()[0], next, "the decoded token is the first greedy token");
        assertEquals(m.golden().greedy16()[1], Sampler.argmax(rowsOf(mixed, 0, m.vocab())),
                "the decode row predicts the second greedy token");
    }

    /** LAST_PER_SEQUENCE returns exactly each sequence's last row of ALL, in sequence order. */
    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_C})
    void lastPerSequenceLogitsAreTheLastRowOfEachSequence(String fixture) {
        Model m = model(fixture);
        InProcessPipeline p = m.pipeline();
        int[] full = m.golden().tokens();
        int[] prefix = m.golden().prefix(5);
        StepOutput last = p.step(List.of(p.newSequence(), p.newSequence()), List.of(full, prefix),
                Logits.LAST_PER_SEQUENCE);
        assertArrayEquals(new int[] {full.length - 1, full.length + prefix.length - 1}, last.logitRows());
        assertClose(m.golden().rows(full.length - 1, full.length), last.logitsOf(0, m.vocab()), GOLDEN_REL_L2,
                fixture + " last row of the full prompt");
        assertClose(m.golden().rows(4, 5), last.logitsOf(1, m.vocab()), GOLDEN_REL_L2, fixture + " last row of the prefix");

        StepOutput none = p.step(List.of(p.newSequence()), List.of(prefix), Logits.NONE);
        assertEquals(0, none.logits().length);
        assertEquals(prefix.length * p.config().hiddenSize(), none.hidden().length);
    }

    // --- (f) chunked prefill ---------------------------------------------------------------------------------------------

    /** The prompt in three unequal chunks over three steps, each continuing from the cache, matches the golden. */
    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void chunkedPrefillMatchesGolden(String fixture) {
        Model m = model(fixture);
        int[] tokens = m.golden().tokens();
        int t = tokens.length;
        int[] bounds = {0, t / 4, t / 4 + t / 3, t};
        Sequence seq = m.pipeline().newSequence();
        float[][] parts = new float[3][];
        for (int c = 0; c < 3; c++) {
            StepOutput out = prefill(m, seq, Arrays.copyOfRange(tokens, bounds[c], bounds[c + 1]));
            assertEquals(bounds[c], out.layout().startPosition(0));
            parts[c] = out.logits();
        }
        assertMatchesGolden(m, concat(List.of(parts)), 0, t, fixture + " chunked prefill");
    }
}
