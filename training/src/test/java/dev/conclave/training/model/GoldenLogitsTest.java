package dev.conclave.training.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The training forward, loaded from the golden fixtures (core's test resources), against the independent
 * float64 reference's logits at every prompt position and its MTP draft logits (fixtures README, SGLang
 * convention: MTP row i takes h_i and t_{i+1}, the last row the main model's greedy next token). The
 * golden values are stored as float32, which sets the floor; BF16/F16 fixtures widen exactly.
 */
class GoldenLogitsTest {

    /** Measured 2.5e-8 to 2.7e-8 on all four fixtures: the float32 rounding of the stored golden values. */
    private static final double REL_L2 = 1e-7;
    private static Parallel parallel;

    @BeforeAll
    static void start() {
        parallel = Parallel.create(2);
    }

    @AfterAll
    static void stop() {
        parallel.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void logitsAndMtpDraftMatchTheReference(String fixture) throws IOException {
        Path dir = Fixtures.fixture(fixture);
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        int[] tokens = ints(golden.get("tokens"));
        int vocab = golden.get("logits_shape").get(1).intValue();
        double[] expected = new double[tokens.length * vocab];
        int i = 0;
        for (JsonNode row : golden.get("logits")) {
            for (JsonNode v : row) {
                expected[i++] = v.doubleValue();
            }
        }
        JsonNode mtp = golden.get("mtp");
        int next = mtp.get("next_token").intValue();
        double[] expectedDraft = doubles(mtp.get("logits_last_sglang"));

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            TrainableModel model = TrainableModel.load(checkpoint, parallel);
            assertTrue(model.hasMtp(), fixture + " has an MTP layer");
            int[] following = Arrays.copyOf(Arrays.copyOfRange(tokens, 1, tokens.length), tokens.length);
            following[tokens.length - 1] = next;
            TrainableModel.Forward f = model.forward(Batch.of(tokens), following);
            double rel = relL2(Arrays.copyOf(f.logits(), tokens.length * vocab), expected);
            assertTrue(rel <= REL_L2, fixture + " logits rel-L2 " + rel);
            assertEquals(next, argmax(f.logits(), (tokens.length - 1) * vocab, vocab), "greedy next token");
            double[] draft = Arrays.copyOfRange(f.mtpLogits(), (tokens.length - 1) * vocab, tokens.length * vocab);
            double relDraft = relL2(draft, expectedDraft);
            assertTrue(relDraft <= REL_L2, fixture + " MTP draft rel-L2 " + relDraft);
        }
    }

    static double relL2(double[] ours, double[] reference) {
        assertEquals(reference.length, ours.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ours.length; i++) {
            diff += (ours[i] - reference[i]) * (ours[i] - reference[i]);
            norm += reference[i] * reference[i];
        }
        return Math.sqrt(diff / norm);
    }

    private static int argmax(double[] a, int offset, int len) {
        int best = 0;
        for (int i = 1; i < len; i++) {
            if (a[offset + i] > a[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).doubleValue();
        }
        return out;
    }
}
