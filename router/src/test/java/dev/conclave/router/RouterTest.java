package dev.conclave.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.testing.TestConfigs;
import dev.conclave.core.testing.TestMatrices;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Each test feeds the router gate logits chosen so that the sigmoid scores are round numbers
 * ({@code z = ln(s / (1 - s))}), and checks the chosen experts and weights against values worked out by
 * hand from spec §4.2. Every example is built so that one specific routing mistake changes the answer.
 */
class RouterTest {

    private static final int HIDDEN = 4;
    private static final double TOL = 1e-6;

    /**
     * Routes one token whose post-attention-normed input is all ones (the input is all ones and the norm
     * weight is one, with a negligible epsilon), and whose gate row e is {@code [logit(scores[e]), 0, 0, 0]},
     * so that {@code sigmoid(z_e) = scores[e]}. Returns expert id → weight.
     */
    private static Map<Integer, Float> route(ModelConfig config, double[] scores, float[] bias) {
        int experts = scores.length;
        float[] gate = new float[experts * HIDDEN];
        for (int e = 0; e < experts; e++) {
            gate[e * HIDDEN] = (float) Math.log(scores[e] / (1 - scores[e]));
        }
        float[] ones = new float[HIDDEN];
        Arrays.fill(ones, 1f);
        Router router = new Router(config, new Router.Weights(ones,
                TestMatrices.of("gate", DType.F32, experts, HIDDEN, gate), bias));
        DispatchPlan plan = router.newPlan();
        float[] m = new float[HIDDEN];
        router.route(ones.clone(), 1, m, plan, Parallel.serial());
        assertEquals(List.of(1f, 1f, 1f, 1f), List.of(m[0], m[1], m[2], m[3]), "the expert input is the normed x");
        Map<Integer, Float> chosen = new TreeMap<>();
        for (int s = 0; s < plan.k(); s++) {
            chosen.put(plan.expert(0, s), plan.weight(0, s));
        }
        assertEquals(plan.k(), chosen.size(), "an expert was chosen twice: " + chosen);
        return chosen;
    }

    private static void assertChoice(Map<Integer, Double> expected, Map<Integer, Float> actual) {
        assertEquals(expected.keySet(), actual.keySet(), "chosen experts");
        for (var e : expected.entrySet()) {
            assertEquals(e.getValue(), actual.get(e.getKey()), TOL, "weight of expert " + e.getKey());
        }
    }

    private static ModelConfig fourExpertsTop2(Object... more) {
        Object[] base = {"n_routed_experts", 4, "num_experts_per_tok", 2};
        Object[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return TestConfigs.tiny(all);
    }

    // --- the correction bias -----------------------------------------------------------------------------

    /** s = [0.9, 0.8, 0.6, 0.2], bias lifts expert 3 to c = 0.85 > 0.8: top-2 by c is {0, 3}, not {0, 1}. */
    @Test
    void correctionBiasDecidesWhichExpertsAreChosen() {
        var chosen = route(fourExpertsTop2(), new double[] {0.9, 0.8, 0.6, 0.2}, new float[] {0, 0, 0, 0.65f});
        assertEquals(List.of(0, 3), List.copyOf(chosen.keySet()));
    }

    /** Same example: expert 3 must weigh its unbiased sigmoid 0.2, not the biased 0.85. */
    @Test
    void weightOfABiasPromotedExpertIsItsUnbiasedSigmoid() {
        var chosen = route(fourExpertsTop2(), new double[] {0.9, 0.8, 0.6, 0.2}, new float[] {0, 0, 0, 0.65f});
        assertChoice(Map.of(0, 0.9, 3, 0.2), chosen);
    }

    /** A bias on every expert that keeps the order must not change any weight. */
    @Test
    void uniformBiasChangesNothing() {
        var chosen = route(fourExpertsTop2(), new double[] {0.9, 0.8, 0.6, 0.2}, new float[] {0.3f, 0.3f, 0.3f, 0.3f});
        assertChoice(Map.of(0, 0.9, 1, 0.8), chosen);
    }

    // --- group-limited routing ---------------------------------------------------------------------------

    /**
     * 8 experts in 2 groups of 4, one group kept. Group 0 = [0.8, 0.7, 0.2, 0.2] scores 0.8 + 0.7 = 1.5,
     * group 1 = [0.9, 0.3, 0.2, 0.1] scores 0.9 + 0.3 = 1.2. The best single expert (4, 0.9) sits in the
     * dropped group, so the answer is {0, 1}; ignoring the limit gives {0, 4}, and scoring a group by its
     * best expert alone keeps group 1 and gives {4, 5}.
     */
    @Test
    void groupLimitExcludesTheBestExpertWhenItsGroupIsDropped() {
        ModelConfig config = TestConfigs.tiny("n_routed_experts", 8, "num_experts_per_tok", 2,
                "n_group", 2, "topk_group", 1);
        var chosen = route(config, new double[] {0.8, 0.7, 0.2, 0.2, 0.9, 0.3, 0.2, 0.1}, new float[8]);
        assertChoice(Map.of(0, 0.8, 1, 0.7), chosen);
    }

    /**
     * 8 experts in 4 groups of 2, two groups kept (fixture C's shape). Group sums: g0 = 0.9 + 0.1 = 1.0,
     * g1 = 0.6 + 0.6 = 1.2, g2 = 0.7 + 0.4 = 1.1, g3 = 0.8 + 0.1 = 0.9. Kept: g1, g2 → top-3 of
     * {0.6, 0.6, 0.7, 0.4} is experts 4, 2, 3; the global top-3 would be 0, 6, 4.
     */
    @Test
    void groupLimitKeepsTopkGroupGroupsBySumOfTheirTwoBestScores() {
        ModelConfig config = TestConfigs.tiny("n_routed_experts", 8, "num_experts_per_tok", 3,
                "n_group", 4, "topk_group", 2);
        var chosen = route(config, new double[] {0.9, 0.1, 0.6, 0.6, 0.7, 0.4, 0.8, 0.1}, new float[8]);
        assertChoice(Map.of(2, 0.6, 3, 0.6, 4, 0.7), chosen);
    }

    /** Groups are ranked by biased scores c: bias 0.5 on expert 5 makes group 1 win (0.9+0.8 > 0.8+0.7). */
    @Test
    void groupScoresUseTheBiasedSelectionScores() {
        ModelConfig config = TestConfigs.tiny("n_routed_experts", 8, "num_experts_per_tok", 2,
                "n_group", 2, "topk_group", 1);
        float[] bias = new float[8];
        bias[5] = 0.5f;
        var chosen = route(config, new double[] {0.8, 0.7, 0.2, 0.2, 0.9, 0.3, 0.2, 0.1}, bias);
        assertChoice(Map.of(4, 0.9, 5, 0.3), chosen);
    }

    // --- weights: norm_topk_prob and routed_scaling_factor ------------------------------------------------

    /** Chosen sigmoids 0.9 and 0.6 renormalise to 0.6 and 0.4, then × 2.5: 1.5 and 1.0, summing to 2.5. */
    @Test
    void normTopkProbRenormalisesTheChosenWeightsToSumToTheScalingFactor() {
        var chosen = route(fourExpertsTop2("norm_topk_prob", true, "routed_scaling_factor", 2.5),
                new double[] {0.9, 0.2, 0.6, 0.3}, new float[4]);
        assertChoice(Map.of(0, 1.5, 2, 1.0), chosen);
    }

    /** Without norm_topk_prob the weights are the raw sigmoids 0.9 and 0.6, × 2.5: 2.25 and 1.5. */
    @Test
    void withoutNormTopkProbTheWeightsAreTheScaledSigmoids() {
        var chosen = route(fourExpertsTop2("norm_topk_prob", false, "routed_scaling_factor", 2.5),
                new double[] {0.9, 0.2, 0.6, 0.3}, new float[4]);
        assertChoice(Map.of(0, 2.25, 2, 1.5), chosen);
    }

    /** routed_scaling_factor multiplies the weights; with 1.0 and renormalisation they sum to exactly 1. */
    @Test
    void routedScalingFactorOfOneLeavesRenormalisedWeightsSummingToOne() {
        var chosen = route(fourExpertsTop2("norm_topk_prob", true, "routed_scaling_factor", 1.0),
                new double[] {0.9, 0.2, 0.6, 0.3}, new float[4]);
        assertChoice(Map.of(0, 0.6, 2, 0.4), chosen);
    }

    // --- ties ---------------------------------------------------------------------------------------------

    /** Four equal scores (z = 0, s = 0.5 exactly): top-2 is the two lowest ids. */
    @Test
    void equalScoresGoToTheLowerExpertIds() {
        var chosen = route(fourExpertsTop2(), new double[] {0.5, 0.5, 0.5, 0.5}, new float[4]);
        assertChoice(Map.of(0, 0.5, 1, 0.5), chosen);
    }

    /** After a clear winner (expert 2), the tie among 0, 1, 3 goes to 0 and 1. */
    @Test
    void tieBehindAClearWinnerGoesToTheLowerIds() {
        ModelConfig config = TestConfigs.tiny("n_routed_experts", 4, "num_experts_per_tok", 3);
        var chosen = route(config, new double[] {0.5, 0.5, 0.8, 0.5}, new float[4]);
        assertChoice(Map.of(0, 0.5, 1, 0.5, 2, 0.8), chosen);
    }

    // --- several tokens ------------------------------------------------------------------------------------

    /** Tokens route independently: three rows with different inputs get each their own hand-picked experts. */
    @Test
    void eachTokenIsRoutedOnItsOwnScores() {
        // Gate row e reads input dim e: z_e = m_e. Inputs are ±1 so every row has RMS 1 and normalises to itself.
        float[] gate = new float[4 * HIDDEN];
        for (int e = 0; e < 4; e++) {
            gate[e * HIDDEN + e] = 1f;
        }
        float[] ones = {1, 1, 1, 1};
        Router router = new Router(fourExpertsTop2(),
                new Router.Weights(ones, TestMatrices.of("gate", DType.F32, 4, HIDDEN, gate), new float[4]));
        float[] x = {
            1, 1, -1, -1,   // token 0 → experts 0, 1
            -1, 1, -1, 1,   // token 1 → experts 1, 3
            -1, -1, 1, 1,   // token 2 → experts 2, 3
        };
        DispatchPlan plan = router.newPlan();
        router.route(x, 3, new float[x.length], plan, Parallel.serial());
        double high = 1 / (1 + Math.exp(-1));
        int[][] expected = {{0, 1}, {1, 3}, {2, 3}};
        for (int t = 0; t < 3; t++) {
            Map<Integer, Float> chosen = new TreeMap<>();
            for (int s = 0; s < 2; s++) {
                chosen.put(plan.expert(t, s), plan.weight(t, s));
            }
            assertChoice(Map.of(expected[t][0], high, expected[t][1], high), chosen);
        }
    }
}
