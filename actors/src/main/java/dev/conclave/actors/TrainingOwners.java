package dev.conclave.actors;

import dev.conclave.placement.NodeSpec;
import dev.conclave.placement.ResolvedPlacement;
import java.util.List;

/**
 * Which node owns each routed expert for training: the first of its hosts in placement order. Training
 * keeps one copy of every expert's master weights, gradients and optimizer state, so replicas that serve
 * inference elsewhere take no part in it.
 */
public final class TrainingOwners {

    private final int[][] owner;

    public TrainingOwners(ResolvedPlacement placement) {
        List<String> names = placement.placement().nodeNames();
        int experts = placement.model().nRoutedExperts();
        this.owner = new int[placement.model().numHiddenLayers() + 1][];
        for (int layer : placement.moeLayers().toArray()) {
            owner[layer] = new int[experts];
            for (int e = 0; e < experts; e++) {
                List<NodeSpec> hosts = placement.expertNodes(layer, e);
                if (hosts.isEmpty()) {
                    throw new IllegalArgumentException(placement.placement().source() + ": expert " + e + " of layer "
                            + layer + " has no node; training needs every routed expert placed");
                }
                owner[layer][e] = names.indexOf(hosts.getFirst().name());
            }
        }
    }

    /** The owning node (its index in placement order) of every expert of an MoE layer. */
    int[] of(int layer) {
        if (layer < 0 || layer >= owner.length || owner[layer] == null) {
            throw new IllegalArgumentException("layer " + layer + " has no routed experts in the placement");
        }
        return owner[layer];
    }

    boolean owns(int node, int layer, int expert) {
        return of(layer)[expert] == node;
    }
}
