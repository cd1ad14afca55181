package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Checks a placement against the model it is to serve and resolves it: every layer's attention hosted
 * exactly once, every expert of every MoE layer at least once (replicas allowed), nothing hosted that the
 * model lacks or that a node's roles do not allow. All problems are reported together, so one run shows
 * everything a file needs.
 */
public final class PlacementValidator {

    /** How many unhosted (layer, expert) pairs a message lists before it only counts the rest. */
    private static final int MISSING_PAIRS_SHOWN = 10;

    private PlacementValidator() {
    }

    public static ResolvedPlacement validate(Placement placement, ModelConfig model) {
        List<String> problems = new ArrayList<>();
        Map<String, IntSet> attentionByNode = new LinkedHashMap<>();
        Map<String, SortedMap<Integer, IntSet>> expertsByNode = new LinkedHashMap<>();
        for (NodeSpec node : placement.nodes()) {
            attentionByNode.put(node.name(), attention(node, placement, model, problems));
            expertsByNode.put(node.name(), experts(node, model, problems));
        }
        ResolvedPlacement resolved = new ResolvedPlacement(placement, model, attentionByNode, expertsByNode);
        checkAttentionCoverage(resolved, problems);
        checkExpertCoverage(resolved, problems);
        if (!problems.isEmpty()) {
            throw new PlacementException(placement.source() + ": the placement does not fit the model ("
                    + describe(model) + "):\n  " + String.join("\n  ", problems));
        }
        return resolved;
    }

    private static String describe(ModelConfig model) {
        return model.numHiddenLayers() + " layers" + (model.hasMtp() ? " + MTP" : "") + ", first_k_dense_replace "
                + model.firstKDenseReplace() + ", " + model.nRoutedExperts() + " routed experts";
    }

    /** The node's attention layers that the model has, noting problems with the rest and with its roles. */
    private static IntSet attention(NodeSpec node, Placement placement, ModelConfig model, List<String> problems) {
        IntSet named = node.attentionLayers().resolve(model);
        String at = "node '" + node.name() + "', key 'attention-layers': ";
        if (!named.isEmpty() && !node.hasRole(Role.ATTENTION)) {
            problems.add(at + "hosts attention layers " + ModelLayers.names(model, named) + " but the node lacks role attention");
        }
        NodeSpec orchestrator = placement.orchestrator();
        if ((!named.isEmpty() || node.hasRole(Role.ATTENTION)) && !node.name().equals(orchestrator.name())) {
            problems.add("node '" + node.name() + "', key '" + (named.isEmpty() ? "roles" : "attention-layers") + "': "
                    + "attention must run on the orchestrator's node '" + orchestrator.name()
                    + "' in this version: the hidden state passes between the orchestrator and the attention stages"
                    + " in-process, not over the network");
        }
        IntSet unknown = named.minus(ModelLayers.all(model));
        if (!unknown.isEmpty()) {
            problems.add(at + "names layers " + unknown + ", which the model lacks: " + layersOf(model));
        }
        return named.minus(unknown);
    }

    /** The node's (MoE layer, expert) pairs that the model has, noting problems with the rest and with its roles. */
    private static SortedMap<Integer, IntSet> experts(NodeSpec node, ModelConfig model, List<String> problems) {
        if (!node.experts().isEmpty() && !node.hasRole(Role.EXPERTS)) {
            problems.add("node '" + node.name() + "', key 'experts': hosts experts but the node lacks role experts");
        }
        IntSet moe = ModelLayers.moe(model);
        IntSet modelExperts = ModelLayers.experts(model);
        SortedMap<Integer, IntSet> byLayer = new TreeMap<>();
        for (int i = 0; i < node.experts().size(); i++) {
            ExpertAssignment assignment = node.experts().get(i);
            String at = "node '" + node.name() + "', key 'experts[" + i + "]";
            IntSet layers = assignment.resolveLayers(model);
            IntSet experts = assignment.resolveExperts(model);
            IntSet unknown = layers.minus(ModelLayers.all(model));
            if (!unknown.isEmpty()) {
                problems.add(at + ".layers': names layers " + unknown + ", which the model lacks: " + layersOf(model));
            }
            IntSet dense = layers.minus(unknown).minus(moe);
            if (!dense.isEmpty()) {
                problems.add(at + ".layers': names layers " + dense + ", which are dense (first_k_dense_replace "
                        + model.firstKDenseReplace() + ") and have no routed experts to host");
            }
            IntSet unknownExperts = experts.minus(modelExperts);
            if (!unknownExperts.isEmpty()) {
                problems.add(at + ".experts': names experts " + unknownExperts + ", which the model lacks: it has "
                        + model.nRoutedExperts() + " routed experts (0-" + (model.nRoutedExperts() - 1) + ")");
            }
            IntSet hosted = experts.minus(unknownExperts);
            layers.intersect(moe).stream().forEach(l -> byLayer.merge(l, hosted, IntSet::union));
        }
        byLayer.values().removeIf(IntSet::isEmpty);
        return byLayer;
    }

    private static String layersOf(ModelConfig model) {
        String numbered = "it has layers 0-" + (model.numHiddenLayers() - 1);
        return model.hasMtp()
                ? numbered + " and the MTP layer " + model.mtpLayerIndex()
                : numbered + " and no MTP layer (num_nextn_predict_layers 0)";
    }

    private static void checkAttentionCoverage(ResolvedPlacement resolved, List<String> problems) {
        ModelConfig model = resolved.model();
        // Layers grouped by who hosts them, so a whole file's mistake reads as one line, not 93.
        Map<List<String>, IntSet> layersByHosts = new LinkedHashMap<>();
        resolved.layers().stream().forEach(layer -> layersByHosts.merge(
                resolved.attentionHosts(layer).stream().map(NodeSpec::name).toList(), IntSet.of(layer), IntSet::union));
        layersByHosts.forEach((hosts, layers) -> {
            String which = "attention of layers " + ModelLayers.names(model, layers);
            if (hosts.isEmpty()) {
                problems.add(which + " is hosted by no node; every layer's attention is hosted exactly once");
            } else if (hosts.size() > 1) {
                problems.add(which + " is hosted by " + hosts.size() + " nodes, '" + String.join("' and '", hosts)
                        + "'; every layer's attention is hosted exactly once");
            }
        });
    }

    private static void checkExpertCoverage(ResolvedPlacement resolved, List<String> problems) {
        List<String> shown = new ArrayList<>();
        int missing = 0;
        for (int layer : resolved.moeLayers().toArray()) {
            for (int expert = 0; expert < resolved.model().nRoutedExperts(); expert++) {
                if (resolved.expertNodes(layer, expert).isEmpty()) {
                    missing++;
                    if (shown.size() < MISSING_PAIRS_SHOWN) {
                        shown.add("(layer " + ModelLayers.name(resolved.model(), layer) + ", expert " + expert + ")");
                    }
                }
            }
        }
        if (missing > 0) {
            problems.add(missing + " (layer, expert) pair" + (missing == 1 ? " is" : "s are")
                    + " hosted by no node; every expert of every MoE layer needs a host: " + String.join(", ", shown)
                    + (missing > shown.size() ? ", ..." : ""));
        }
    }
}
