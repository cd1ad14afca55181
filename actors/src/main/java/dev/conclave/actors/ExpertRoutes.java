package dev.conclave.actors;

import dev.conclave.placement.NodeSpec;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.router.DispatchPlan;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which node serves each routed expert: this node when it hosts the expert, else the first live replica
 * in placement order. Nodes that the cluster reports down are skipped until they are back, so replicas
 * take over; an expert with no live host fails the step at once, naming it and its nodes.
 */
final class ExpertRoutes {

    private final ResolvedPlacement placement;
    private final List<String> nodeNames;
    private final int self;
    private final BitSet down = new BitSet();
    private final int[][] peers;

    ExpertRoutes(ResolvedPlacement placement, List<String> nodeNames, int self) {
        this.placement = placement;
        this.nodeNames = List.copyOf(nodeNames);
        this.self = self;
        this.peers = new int[placement.model().numHiddenLayers() + 1][];
        recompute();
    }

    synchronized void nodeDown(String node) {
        int id = nodeNames.indexOf(node);
        if (id >= 0 && id != self) {
            down.set(id);
            recompute();
        }
    }

    synchronized void nodeUp(String node) {
        int id = nodeNames.indexOf(node);
        if (id >= 0) {
            down.clear(id);
            recompute();
        }
    }

    /** The serving node of every expert of {@code layer}; fails if an expert the plan uses has none. */
    synchronized int[] peers(int layer, DispatchPlan plan) {
        int[] route = peers[layer];
        List<String> lost = new ArrayList<>();
        for (int e = 0; e < route.length; e++) {
            if (route[e] < 0 && plan.load(e) > 0) {
                lost.add(e + " (on " + hostNames(layer, e) + ")");
            }
        }
        if (!lost.isEmpty()) {
            throw new IllegalStateException("layer " + layer + ": experts " + String.join(", ", lost)
                    + " have no live host");
        }
        return route;
    }

    private void recompute() {
        for (int layer : placement.moeLayers().toArray()) {
            int experts = placement.model().nRoutedExperts();
            int[] route = new int[experts];
            for (int e = 0; e < experts; e++) {
                route[e] = -1;
                for (NodeSpec n : placement.expertNodes(layer, e)) {
                    int id = nodeNames.indexOf(n.name());
                    if (id == self) {
                        route[e] = self;
                        break;
                    }
                    if (route[e] < 0 && !down.get(id)) {
                        route[e] = id;
                    }
                }
            }
            peers[layer] = route;
        }
    }

    private String hostNames(int layer, int expert) {
        List<String> names = new ArrayList<>();
        for (NodeSpec n : placement.expertNodes(layer, expert)) {
            names.add(n.name() + (down.get(nodeNames.indexOf(n.name())) ? ", down" : ""));
        }
        return String.join("; ", names);
    }
}
