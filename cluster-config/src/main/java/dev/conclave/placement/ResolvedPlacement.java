package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A placement resolved against one model: who hosts each layer's attention and each (layer, expert), and
 * what each node hosts, with "all", "mtp" and shares turned into indices. Made by
 * {@link PlacementValidator#validate}, which guarantees one attention host per layer and at least one host
 * per (MoE layer, expert).
 */
public final class ResolvedPlacement {

    private final Placement placement;
    private final ModelConfig model;
    private final Map<String, IntSet> attentionByNode;
    private final Map<String, SortedMap<Integer, IntSet>> expertsByNode;
    /** Indexed by layer, the MTP layer last; every node that claims the layer. */
    private final List<List<NodeSpec>> attentionHosts;
    /** Indexed by layer, then expert; empty for dense layers. */
    private final List<List<List<NodeSpec>>> expertHosts;

    /**
     * @param attentionByNode per node name, the model layers whose attention it hosts
     * @param expertsByNode   per node name, per MoE layer of the model, the experts it hosts there
     */
    ResolvedPlacement(Placement placement, ModelConfig model, Map<String, IntSet> attentionByNode,
                      Map<String, SortedMap<Integer, IntSet>> expertsByNode) {
        this.placement = placement;
        this.model = model;
        this.attentionByNode = Collections.unmodifiableMap(new LinkedHashMap<>(attentionByNode));
        Map<String, SortedMap<Integer, IntSet>> experts = new LinkedHashMap<>();
        expertsByNode.forEach((node, byLayer) -> experts.put(node, Collections.unmodifiableSortedMap(new TreeMap<>(byLayer))));
        this.expertsByNode = Collections.unmodifiableMap(experts);

        int layerCount = ModelLayers.all(model).size();
        List<List<NodeSpec>> attention = new ArrayList<>();
        List<List<List<NodeSpec>>> expertLists = new ArrayList<>();
        for (int layer = 0; layer < layerCount; layer++) {
            int l = layer;
            attention.add(placement.nodes().stream().filter(n -> attentionLayers(n.name()).contains(l)).toList());
            List<List<NodeSpec>> byExpert = new ArrayList<>();
            if (model.isMoeLayer(layer)) {
                for (int expert = 0; expert < model.nRoutedExperts(); expert++) {
                    int e = expert;
                    byExpert.add(placement.nodes().stream()
                            .filter(n -> experts(n.name()).getOrDefault(l, IntSet.empty()).contains(e)).toList());
                }
            }
            expertLists.add(List.copyOf(byExpert));
        }
        this.attentionHosts = List.copyOf(attention);
        this.expertHosts = List.copyOf(expertLists);
    }

    public Placement placement() {
        return placement;
    }

    public ModelConfig model() {
        return model;
    }

    public NodeSpec orchestrator() {
        return placement.orchestrator();
    }

    /** Every layer with attention: 0..num_hidden_layers-1, then the MTP layer when the model has one. */
    public IntSet layers() {
        return ModelLayers.all(model);
    }

    /** Every layer with routed experts, the MTP layer included. */
    public IntSet moeLayers() {
        return ModelLayers.moe(model);
    }

    /** The node that runs {@code layer}'s attention; the MTP layer is {@code num_hidden_layers}. */
    public NodeSpec attentionNode(int layer) {
        return attentionHosts(layer).getFirst();
    }

    /** Every node hosting {@code expert} of MoE layer {@code layer}: one, or more when it is replicated. */
    public List<NodeSpec> expertNodes(int layer, int expert) {
        checkLayer(layer);
        if (!model.isMoeLayer(layer)) {
            throw new IllegalArgumentException("layer " + layer + " is dense (first_k_dense_replace "
                    + model.firstKDenseReplace() + "); it has no routed experts");
        }
        if (expert < 0 || expert >= model.nRoutedExperts()) {
            throw new IllegalArgumentException("expert " + expert + " is out of range 0-" + (model.nRoutedExperts() - 1));
        }
        return expertHosts.get(layer).get(expert);
    }

    /** The layers whose attention {@code node} hosts. */
    public IntSet attentionLayers(String node) {
        return lookUp(attentionByNode, node);
    }

    /** The experts {@code node} hosts, by MoE layer; layers where it hosts none are absent. */
    public SortedMap<Integer, IntSet> experts(String node) {
        return lookUp(expertsByNode, node);
    }

    /** Every node that claims {@code layer}'s attention, for the validator to count. */
    List<NodeSpec> attentionHosts(int layer) {
        checkLayer(layer);
        return attentionHosts.get(layer);
    }

    private void checkLayer(int layer) {
        if (!layers().contains(layer)) {
            throw new IllegalArgumentException("layer " + layer + " is not in the model (layers "
                    + ModelLayers.names(model, layers()) + ")");
        }
    }

    private <T> T lookUp(Map<String, T> byNode, String node) {
        T value = byNode.get(node);
        if (value == null) {
            throw new IllegalArgumentException(placement.source() + ": no node '" + node + "'; nodes are "
                    + placement.nodeNames());
        }
        return value;
    }
}
