package dev.conclave.model;

import dev.conclave.core.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The spec §9 table, reproduced from the configs. */
class ParamPlanTest {

    /** A count the spec prints as "352.80 B": it must round to those two decimals. */
    private static void assertBillions(double expected, long actual, String what) {
        assertEquals(expected, actual / 1e9, 0.005, what);
    }

    @Test
    void glm45MatchesSpecTable() {
        ParamPlan p = ParamPlan.of(TestConfigs.glm45());
        assertEquals(136_329_472L, p.attention());
        assertEquals(325_083_392L, p.denseLayer());
        assertEquals(3_935_625_632L, p.moeLayer());
        assertEquals(349_495_712L, p.moeLayerActive());
        assertEquals(775_946_240L, p.embedding());
        assertEquals(3_988_069_792L, p.mtpModule());
        assertBillions(352.80, p.mainWithEmbeddings(), "main incl. emb + head, no MTP");
        // The spec prints 355.24 B: 352.80 − 2·0.776 + 3.988 added from rounded parts; exactly it is 355.234 B.
        assertEquals(355.24, p.mainAndMtpWithoutEmbeddings() / 1e9, 0.01, "main + MTP excl. emb + head (headline 355B)");
        assertBillions(356.79, p.mainAndMtpWithEmbeddings(), "main + MTP incl. emb + head");
        assertBillions(358.34, p.total(), "everything in the checkpoint");
        assertBillions(32.08, p.activePerToken(), "activated per token (headline A32B)");
        assertBillions(32.86, p.activeWithLmHead(), "activated incl. lm_head");
        // The exact values behind the rounded ones.
        assertEquals(352_797_829_024L, p.mainWithEmbeddings());
        assertEquals(355_234_006_336L, p.mainAndMtpWithoutEmbeddings());
        assertEquals(358_337_791_296L, p.total());
        assertEquals(32_080_368_544L, p.activePerToken());
    }

    @Test
    void glm45AirMatchesSpecTable() {
        ParamPlan p = ParamPlan.of(TestConfigs.glm45Air());
        assertEquals(109_066_240L, p.attention());
        assertEquals(243_554_304L, p.denseLayer());
        assertEquals(2_341_492_864L, p.moeLayer());
        assertEquals(265_312_384L, p.moeLayerActive());
        assertEquals(620_756_992L, p.embedding());
        assertEquals(2_375_059_584L, p.mtpModule());
        assertBillions(106.85, p.mainWithEmbeddings(), "main incl. emb + head, no MTP (headline 106B)");
        assertBillions(107.99, p.mainAndMtpWithoutEmbeddings(), "main + MTP excl. emb + head");
        assertBillions(109.23, p.mainAndMtpWithEmbeddings(), "main + MTP incl. emb + head");
        assertBillions(110.47, p.total(), "everything in the checkpoint");
        assertBillions(12.18, p.activePerToken(), "activated per token (headline A12B)");
        assertBillions(12.80, p.activeWithLmHead(), "activated incl. lm_head");
    }

    @Test
    void benchModelIsAbout1_13BWith221MActivePerDecodedToken() {
        ParamPlan p = ParamPlan.of(TestConfigs.bench());
        assertEquals(1_130_960_640L, p.total());
        // 221 M is what a decode step reads: active layers plus final norm and lm_head.
        assertEquals(221_902_528L, p.activeWithLmHead());
        assertEquals(189_133_504L, p.activePerToken());
    }

    @Test
    void bytesKeepCorrectionBiasesInFloat32() {
        ParamPlan p = ParamPlan.of(TestConfigs.glm45());
        long biases = (89 + 1) * 160L;
        assertEquals(2 * p.total() + 2 * biases, p.totalBytes(DType.BF16));
        assertEquals(p.totalBytes(DType.BF16), p.totalBytes(DType.F16));
        assertEquals(4 * p.total(), p.totalBytes(DType.F32));
        assertEquals(2 * p.activeWithLmHead() + 2 * 89 * 160L, p.activeBytesPerToken(DType.BF16));
        assertBillions(716.68, p.totalBytes(DType.BF16), "≈717 GB in BF16 (spec §9)");
    }

    @Test
    void rowsCarryTheSpecQuantitiesUnderStableKeys() {
        ParamPlan p = ParamPlan.of(TestConfigs.glm45());
        Map<String, ParamPlan.Row> rows = p.rows().stream().collect(Collectors.toMap(ParamPlan.Row::key, r -> r));
        assertEquals(14, rows.size());
        assertEquals(p.total(), rows.get("total_params").params());
        assertEquals(p.activePerToken(), rows.get("active_params").params());
        assertEquals(p.totalBytes(DType.BF16), rows.get("total_params").bytes(DType.BF16));
        assertEquals(p.mtpModule() + 2 * p.embedding(), rows.get("mtp_module_with_copies").params());
        assertEquals(p.mainAndMtpWithoutEmbeddings(), rows.get("main_and_mtp_without_embeddings").params());
    }
}
