package dev.conclave.placement;

import java.util.List;

/**
 * A cluster as a placement file describes it, before a model is known: {@link PlacementLoader} reads it,
 * {@link PlacementValidator} checks it against a checkpoint's config and resolves "all", "mtp" and shares.
 *
 * @param clusterName the Pekko actor system name, the same on every node
 * @param nodes       in file order, names unique, exactly one with the orchestrator role
 * @param seedNodes   names of the nodes that new members contact to join the cluster
 * @param dataPlane   the Aeron settings
 * @param source      where the placement came from (a file path), for messages
 */
public record Placement(String clusterName, List<NodeSpec> nodes, List<String> seedNodes, DataPlaneSpec dataPlane,
                        String source) {

    public Placement {
        nodes = List.copyOf(nodes);
        seedNodes = List.copyOf(seedNodes);
    }

    /**
     * @throws IllegalArgumentException when no node has that name
     */
    public NodeSpec node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow(
                () -> new IllegalArgumentException(source + ": no node '" + name + "'; nodes are " + nodeNames()));
    }

    public List<String> nodeNames() {
        return nodes.stream().map(NodeSpec::name).toList();
    }

    /** The one node with the orchestrator role, which the loader guarantees. */
    public NodeSpec orchestrator() {
        List<NodeSpec> orchestrators = nodes.stream().filter(n -> n.hasRole(Role.ORCHESTRATOR)).toList();
        if (orchestrators.size() != 1) {
            throw new IllegalStateException(source + ": " + orchestrators.size() + " orchestrator nodes; a placement has exactly one");
        }
        return orchestrators.getFirst();
    }
}
