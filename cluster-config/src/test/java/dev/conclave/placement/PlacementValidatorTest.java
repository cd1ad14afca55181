package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementValidatorTest {

    /**
     * For {@link Models#small()} (layers 0-1 dense, 2-3 MoE, experts 0-5): head runs all attention; x hosts
     * experts 0-3 of every MoE layer; y hosts 2-5 of layer 2 and 4-5 of layer 3, so experts 2-3 of layer 2
     * are replicated.
     */
    private static final String REPLICATED = """
            conclave {
              nodes {
                head { host = "127.0.0.1", pekko-port = 25520, aeron-endpoint = "127.0.0.1:40120"
                       roles = [orchestrator, attention], attention-layers = "all" }
                x { host = "127.0.0.1", pekko-port = 25521, aeron-endpoint = "127.0.0.1:40121", roles = [experts]
                    experts = [ { layers = "all", experts = "0-3" } ] }
                y { host = "127.0.0.1", pekko-port = 25522, aeron-endpoint = "127.0.0.1:40122", roles = [experts]
                    experts = [ { layers = "2", experts = "2-5" }, { layers = "3", experts = "4-5" } ] }
              }
            }
            """;

    private static ResolvedPlacement validate(String hocon, ModelConfig model) {
        return PlacementValidator.validate(PlacementLoader.parse(hocon, "test.conf"), model);
    }

    /** The problems reported for {@link #REPLICATED} with {@code appended} added, against {@code model}. */
    private static String failure(String appended, ModelConfig model) {
        return assertThrows(PlacementException.class, () -> validate(REPLICATED + appended, model)).getMessage();
    }

    private static void assertContains(String message, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        }
    }

    @Test
    void resolvesReplicasAndAnswersLookups() {
        ResolvedPlacement r = validate(REPLICATED, Models.small());
        Placement p = r.placement();
        NodeSpec head = p.node("head");
        NodeSpec x = p.node("x");
        NodeSpec y = p.node("y");

        assertEquals(IntSet.range(0, 4), r.layers());
        assertEquals(IntSet.range(2, 4), r.moeLayers());
        assertEquals(head, r.orchestrator());
        for (int layer = 0; layer < 4; layer++) {
            assertEquals(head, r.attentionNode(layer));
        }
        assertEquals(List.of(x, y), r.expertNodes(2, 2), "replicas are allowed");
        assertEquals(List.of(x, y), r.expertNodes(2, 3));
        assertEquals(List.of(x), r.expertNodes(2, 0));
        assertEquals(List.of(y), r.expertNodes(2, 5));
        assertEquals(List.of(x), r.expertNodes(3, 3));
        assertEquals(List.of(y), r.expertNodes(3, 4));

        assertEquals(IntSet.range(0, 4), r.attentionLayers("head"));
        assertEquals(IntSet.empty(), r.attentionLayers("x"));
        assertEquals(Map.of(), r.experts("head"));
        assertEquals(new TreeMap<>(Map.of(2, IntSet.parse("0-3"), 3, IntSet.parse("0-3"))), r.experts("x"));
        assertEquals(new TreeMap<>(Map.of(2, IntSet.parse("2-5"), 3, IntSet.parse("4-5"))), r.experts("y"));
    }

    @Test
    void lookupsRefuseWhatTheModelLacks() {
        ResolvedPlacement r = validate(REPLICATED, Models.small());
        assertContains(assertThrows(IllegalArgumentException.class, () -> r.expertNodes(1, 0)).getMessage(),
                "layer 1 is dense (first_k_dense_replace 2)");
        assertContains(assertThrows(IllegalArgumentException.class, () -> r.expertNodes(2, 6)).getMessage(),
                "expert 6 is out of range 0-5");
        assertContains(assertThrows(IllegalArgumentException.class, () -> r.attentionNode(4)).getMessage(),
                "layer 4 is not in the model (layers 0-3)");
        assertContains(assertThrows(IllegalArgumentException.class, () -> r.experts("z")).getMessage(),
                "test.conf: no node 'z'; nodes are [head, x, y]");
    }

    @Test
    void theMtpLayerHasAttentionAndExperts() {
        ResolvedPlacement r = validate(REPLICATED.replace("layers = \"3\"", "layers = \"3,mtp\""), Models.smallWithMtp());
        assertEquals(IntSet.range(0, 5), r.layers());
        assertEquals(IntSet.range(2, 5), r.moeLayers());
        assertEquals(r.orchestrator(), r.attentionNode(4));
        assertEquals(List.of(r.placement().node("x")), r.expertNodes(4, 3));
        assertEquals(List.of(r.placement().node("y")), r.expertNodes(4, 4));
        assertEquals(IntSet.parse("4-5"), r.experts("y").get(4));
    }

    @Test
    void errorsSayWhichModelThePlacementDoesNotFit() {
        String message = failure("conclave.nodes.head.attention-layers = \"0-2\"", Models.small());
        assertTrue(message.startsWith("test.conf: the placement does not fit the model (4 layers, first_k_dense_replace 2,"
                + " 6 routed experts):\n  "), message);
    }

    @Test
    void aLayerWithoutAttention() {
        assertContains(failure("conclave.nodes.head.attention-layers = \"0-1\"", Models.small()),
                "attention of layers 2-3 is hosted by no node; every layer's attention is hosted exactly once");
        assertContains(failure("conclave.nodes.head.attention-layers = \"0-3\"", Models.smallWithMtp()),
                "attention of layers mtp (4) is hosted by no node");
    }

    @Test
    void aLayerWithAttentionOnTwoNodesNamesBoth() {
        String message = failure("""
                conclave.nodes.x { roles = [attention, experts], attention-layers = "1-2" }
                """, Models.small());
        assertContains(message,
                "attention of layers 1-2 is hosted by 2 nodes, 'head' and 'x'; every layer's attention is hosted exactly once",
                "node 'x', key 'attention-layers': attention must run on the orchestrator's node 'head' in this version:"
                        + " the hidden state passes between the orchestrator and the attention stages in-process");
    }

    @Test
    void attentionOffTheOrchestratorsNode() {
        String message = failure("""
                conclave.nodes.head.attention-layers = "0-2"
                conclave.nodes.x { roles = [attention, experts], attention-layers = "3" }
                """, Models.small());
        assertContains(message, "node 'x', key 'attention-layers': attention must run on the orchestrator's node 'head'");
        assertFalse(message.contains("hosted by"), message);
        assertContains(failure("conclave.nodes.y.roles = [attention, experts]", Models.small()),
                "node 'y', key 'roles': attention must run on the orchestrator's node 'head'");
    }

    @Test
    void missingExpertsAreCountedAndTheFirstListed() {
        String message = failure("conclave.nodes.y.experts = [ { layers = \"2\", experts = \"4\" } ]", Models.small());
        assertContains(message, "3 (layer, expert) pairs are hosted by no node; every expert of every MoE layer needs a host:"
                + " (layer 2, expert 5), (layer 3, expert 4), (layer 3, expert 5)");
        assertFalse(message.contains("..."), message);

        Placement half = PlacementLoader.parse("""
                conclave.nodes.head { host = "127.0.0.1", pekko-port = 25520, roles = [orchestrator, attention, experts]
                                      attention-layers = all, experts = [ { layers = all, experts = "1/2" } ] }
                """, "half.conf");
        String glm = assertThrows(PlacementException.class, () -> PlacementValidator.validate(half, Models.glm45())).getMessage();
        assertContains(glm, "7200 (layer, expert) pairs are hosted by no node", "(layer 3, expert 80), (layer 3, expert 81)",
                "(layer 3, expert 89), ...");
        assertFalse(glm.contains("expert 90)"), glm);
    }

    @Test
    void expertsOfDenseLayers() {
        assertContains(failure("conclave.nodes.x.experts = [ { layers = \"1-3\", experts = \"0-3\" } ]", Models.small()),
                "node 'x', key 'experts[0].layers': names layers 1, which are dense (first_k_dense_replace 2)"
                        + " and have no routed experts to host");
    }

    @Test
    void layersAndExpertsTheModelLacks() {
        assertContains(failure("conclave.nodes.head.attention-layers = \"0-5\"", Models.small()),
                "node 'head', key 'attention-layers': names layers 4-5, which the model lacks:"
                        + " it has layers 0-3 and no MTP layer (num_nextn_predict_layers 0)");
        assertContains(failure("conclave.nodes.head.attention-layers = \"0-3,mtp\"", Models.small()),
                "node 'head', key 'attention-layers': names layers 4, which the model lacks");
        assertContains(failure("conclave.nodes.head.attention-layers = \"0-5\"", Models.smallWithMtp()),
                "names layers 5, which the model lacks: it has layers 0-3 and the MTP layer 4");
        assertContains(failure("conclave.nodes.y.experts = [ { layers = \"2-3\", experts = \"2-5\" }, { layers = \"9\", experts = 0 } ]",
                        Models.small()),
                "node 'y', key 'experts[1].layers': names layers 9, which the model lacks");
        assertContains(failure("conclave.nodes.y.experts = [ { layers = \"2-3\", experts = \"2-7\" } ]", Models.small()),
                "node 'y', key 'experts[0].experts': names experts 6-7, which the model lacks: it has 6 routed experts (0-5)");
    }

    @Test
    void hostingNeedsTheRole() {
        assertContains(failure("conclave.nodes.head.roles = [orchestrator]", Models.small()),
                "node 'head', key 'attention-layers': hosts attention layers 0-3 but the node lacks role attention");
        assertContains(failure("conclave.nodes.x.roles = [orchestrator]\nconclave.nodes.head.roles = [attention]", Models.small()),
                "node 'x', key 'experts': hosts experts but the node lacks role experts");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String message = failure("""
                conclave.nodes.head.attention-layers = "0-2"
                conclave.nodes.y.experts = [ { layers = "0,2-3", experts = "2-5" } ]
                """, Models.small());
        assertContains(message, "attention of layers 3 is hosted by no node", "names layers 0, which are dense");
        assertEquals(3, message.lines().count(), message);
    }
}
