package dev.conclave.placement;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One node of a placement: where its Pekko and Aeron endpoints are, what it does, on which device, and
 * which layers' attention and which experts it hosts, as the file names them (see {@link LayerSet}).
 *
 * @param name            the key under {@code conclave.nodes}
 * @param host            a literal IP or a hostname, where Pekko binds and other nodes reach it
 * @param pekkoPort       the Pekko Artery (TCP) port
 * @param roles           at least one
 * @param device          the device its stages compute on
 * @param attentionLayers the layers whose attention stages it hosts
 * @param experts         the (layer, expert) pairs it hosts
 * @param aeronEndpoint   where its data plane receives; null when the placement has this one node, which
 *                        then needs no data plane between nodes
 */
public record NodeSpec(
        String name,
        String host,
        int pekkoPort,
        Set<Role> roles,
        Device device,
        LayerSet attentionLayers,
        List<ExpertAssignment> experts,
        Endpoint aeronEndpoint) {

    public NodeSpec {
        // An EnumSet keeps the roles in declaration order, so the node prints the same way every time.
        EnumSet<Role> sorted = EnumSet.noneOf(Role.class);
        sorted.addAll(roles);
        roles = Collections.unmodifiableSet(sorted);
        experts = List.copyOf(experts);
    }

    public boolean hasRole(Role role) {
        return roles.contains(role);
    }
}
