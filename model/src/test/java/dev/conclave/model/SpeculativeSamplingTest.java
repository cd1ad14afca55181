package dev.conclave.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sampling with MTP drafts through the whole path (Generator, DecodeStep, both caches, the MTP layer) emits
 * the target model's distribution. The model is a real checkpoint whose logits depend only on the current
 * token ({@link MarkovCheckpoint}), so the exact distribution of 3-token continuations is a product of
 * table rows; its MTP layer drafts from a deliberately different table, so a path that let drafts through
 * unchecked, or verified them against the wrong distribution, lands far away (measured: correct 0.02;
 * the second draft checked against the first draft's q, 0.12; drafts unchecked, 0.89).
 */
class SpeculativeSamplingTest {

    private static final int VOCAB = 4;
    private static final float[][] TARGET = {
        {2.0f, 0.5f, -1.0f, 0.0f}, {-0.5f, 1.5f, 0.5f, -1.0f}, {0.0f, -1.0f, 2.0f, 0.5f}, {1.0f, 0.0f, -0.5f, 1.5f}};
    /** The draft prefers what the target after the next token prefers: often wrong. */
    private static final float[][] DRAFT = {TARGET[1], TARGET[2], TARGET[3], TARGET[0]};
    private static final double TEMPERATURE = 0.9;
    private static final int TOP_K = 3;
    private static final int SAMPLES = 8_000;
    /**
     * The total variation of an empirical distribution over 64 outcomes from 8 000 samples has mean at most
     * 0.5 · sqrt(2 / (π · 8000)) · Σ sqrt(p_i) <= 0.036 (Σ sqrt(p_i) <= 8), with a spread far below it.
     */
    private static final double TOLERANCE = 0.055;

    @TempDir
    static Path tmp;

    /** Temperature softmax over the top-k logits of a row, computed here from the table alone. */
    private static double[] transformed(float[] logits) {
        Integer[] order = {0, 1, 2, 3};
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        double[] p = new double[VOCAB];
        double sum = 0;
        for (int i = 0; i < TOP_K; i++) {
            p[order[i]] = Math.exp(logits[order[i]] / TEMPERATURE);
            sum += p[order[i]];
        }
        for (int v = 0; v < VOCAB; v++) {
            p[v] /= sum;
        }
        return p;
    }

    /**
     * P(x_1 x_2 x_3 | x_0): x_1 from row x_0 of {@code first}, x_2 and x_3 from rows of {@code then}; cells
     * indexed by x_1 + 4 x_2 + 16 x_3.
     */
    private static double[] exact(float[][] first, float[][] then, int start) {
        double[] out = new double[64];
        for (int cell = 0; cell < 64; cell++) {
            double prob = 1;
            int previous = start;
            for (int i = 0; i < 3; i++) {
                int x = (cell >> (2 * i)) & 3;
                prob *= transformed((i == 0 ? first : then)[previous])[x];
                previous = x;
            }
            out[cell] = prob;
        }
        return out;
    }

    private static double totalVariation(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += Math.abs(a[i] - b[i]);
        }
        return d / 2;
    }

    @Test
    void sampledContinuationsWithTwoDraftsFollowTheTargetDistribution() throws Exception {
        int[] slot = {0, 1, 2, 3};
        Path dir = MarkovCheckpoint.write(tmp, VOCAB, slot, TARGET, DRAFT, 3);
        try (Checkpoint checkpoint = Checkpoint.open(dir); Parallel parallel = Parallel.create(1)) {
            Generator generator = new Generator(InProcessPipeline.load(checkpoint, parallel), 2);
            double[] counts = new double[64];
            MtpStats stats = new MtpStats(2);
            for (int n = 0; n < SAMPLES; n++) {
                // A fourth token keeps two drafts in play for the third; only the first three are counted.
                int[] out = generator.generate(new int[] {0}, 4, new Sampler(TEMPERATURE, TOP_K, 1, n), Set.of(), t -> { });
                counts[out[0] + 4 * out[1] + 16 * out[2]]++;
                stats.add(generator.lastStats());
            }
            for (int c = 0; c < 64; c++) {
                counts[c] /= SAMPLES;
            }
            double[] target = exact(TARGET, TARGET, 0);
            double tv = totalVariation(target, counts);
            assertTrue(tv < TOLERANCE, "total variation from the target " + tv + " >= " + TOLERANCE);
            for (int d = 0; d < 2; d++) {
                assertTrue(stats.accepted(d) > 0 && stats.accepted(d) < stats.proposed(d), "drafts accepted and rejected: " + stats);
            }
            // The first token is the target's own sample; emitting the drafts after it unchecked lands far away.
            double drafts = totalVariation(target, exact(TARGET, DRAFT, 0));
            assertTrue(drafts > 4 * TOLERANCE, "the draft chain must differ from the target: " + drafts);
        }
    }
}
