package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The placements shipped in cluster-config/ load, and fit every model: the fixtures and GLM-4.5's shapes. */
class BundledPlacementsTest {

    static Stream<Arguments> placementsAndModels() {
        List<ModelConfig> models = new ArrayList<>(Models.fixtures());
        models.addAll(List.of(Models.glm45(), Models.glm45Air(), Models.small()));
        return PlacementLoader.BUNDLED.stream().flatMap(name -> models.stream().map(m -> Arguments.of(name,
                Named.of(m.numHiddenLayers() + " layers (" + m.firstKDenseReplace() + " dense" + (m.hasMtp() ? ", MTP" : "")
                        + "), " + m.nRoutedExperts() + " experts", m))));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("placementsAndModels")
    void fitsEveryModelWithEachExpertHostedOnce(String name, ModelConfig model) {
        ResolvedPlacement r = PlacementValidator.validate(PlacementLoader.bundled(name), model);
        for (int layer : r.layers().toArray()) {
            assertEquals(r.orchestrator(), r.attentionNode(layer));
        }
        for (int layer : r.moeLayers().toArray()) {
            for (int expert = 0; expert < model.nRoutedExperts(); expert++) {
                assertEquals(1, r.expertNodes(layer, expert).size(), "layer " + layer + " expert " + expert);
            }
        }
    }

    @Test
    void singleNodeIsOneJvmWithEverything() {
        Placement p = PlacementLoader.bundled("single-node");
        assertEquals(List.of("local"), p.nodeNames());
        NodeSpec local = p.node("local");
        assertEquals("127.0.0.1", local.host());
        assertEquals(Set.of(Role.values()), local.roles());
        assertEquals(Device.cpu(), local.device());
        assertNull(local.aeronEndpoint());
        assertEquals(List.of("local"), p.seedNodes());

        ResolvedPlacement glm = PlacementValidator.validate(p, Models.glm45());
        assertEquals(IntSet.range(0, 93), glm.attentionLayers("local"), "every layer and the MTP layer 92");
        assertEquals(IntSet.range(3, 93), IntSet.of(glm.experts("local").keySet().stream().mapToInt(i -> i).toArray()));
        glm.experts("local").values().forEach(experts -> assertEquals(IntSet.range(0, 160), experts));
    }

    @Test
    void localThreeNodeSplitsTheExpertsInHalves() {
        Placement p = PlacementLoader.bundled("local-3-node");
        assertEquals(List.of("head", "experts-a", "experts-b"), p.nodeNames());
        assertEquals(List.of("head"), p.seedNodes());
        assertEquals(DataPlaneSpec.defaults(), p.dataPlane());
        int port = 25520;
        int aeron = 40120;
        for (NodeSpec n : p.nodes()) {
            assertEquals("127.0.0.1", n.host());
            assertEquals(port++, n.pekkoPort());
            assertEquals(new Endpoint("127.0.0.1", aeron++), n.aeronEndpoint());
        }
        assertEquals(Set.of(Role.ORCHESTRATOR, Role.ATTENTION), p.node("head").roles());
        assertEquals(Set.of(Role.EXPERTS), p.node("experts-a").roles());

        for (ModelConfig model : List.of(Models.glm45(), Models.fixtures().getFirst())) {
            ResolvedPlacement r = PlacementValidator.validate(p, model);
            int half = model.nRoutedExperts() / 2;
            assertEquals(r.layers(), r.attentionLayers("head"));
            assertTrue(r.experts("head").isEmpty());
            assertEquals(r.moeLayers(), IntSet.of(r.experts("experts-a").keySet().stream().mapToInt(i -> i).toArray()));
            for (int layer : r.moeLayers().toArray()) {
                assertEquals(IntSet.range(0, half), r.experts("experts-a").get(layer));
                assertEquals(IntSet.range(half, model.nRoutedExperts()), r.experts("experts-b").get(layer));
            }
        }
    }

    /** The build copies the module-root files onto the classpath, so there is one copy of each in git. */
    @Test
    void theBundledResourcesAreTheModuleRootFiles() throws IOException {
        List<String> atRoot;
        try (Stream<Path> files = Files.list(Path.of(""))) {
            atRoot = files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".conf"))
                    .map(f -> f.substring(0, f.length() - ".conf".length())).sorted().toList();
        }
        assertEquals(PlacementLoader.BUNDLED.stream().sorted().toList(), atRoot);
        for (String name : PlacementLoader.BUNDLED) {
            try (InputStream in = PlacementLoader.class.getResourceAsStream(name + ".conf")) {
                assertArrayEquals(Files.readAllBytes(Path.of(name + ".conf")), in.readAllBytes(), name);
            }
            Placement fromFile = PlacementLoader.load(Path.of(name + ".conf"));
            assertEquals(PlacementLoader.bundled(name).nodes(), fromFile.nodes());
        }
    }
}
