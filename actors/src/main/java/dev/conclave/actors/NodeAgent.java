package dev.conclave.actors;

import dev.conclave.placement.NodeSpec;
import dev.conclave.placement.Placement;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.placement.Role;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/** Answers "who is in the cluster, what does each node host, and is it healthy" from this node's view. */
public final class NodeAgent {

    public sealed interface Command extends ControlMessage {
    }

    public record GetStatus(ActorRef<ClusterStatus> replyTo) implements Command {
    }

    /** The receptionist's current list of registered expert groups. */
    private record ExpertGroups(Receptionist.Listing listing) implements Command {
    }

    /**
     * One placement node: its roles and what it hosts, its membership state as this node sees it, and
     * whether its expert group is registered with the receptionist (null for nodes without experts).
     */
    public record NodeStatus(String node, String address, List<String> roles, String device, String attentionLayers,
                             String experts, String health, Boolean expertsServing) {
        public NodeStatus {
            roles = List.copyOf(roles);
        }
    }

    public record ClusterStatus(String reporter, List<NodeStatus> nodes) implements ControlMessage {
        public ClusterStatus {
            // Only immutable JDK lists are on the Kryo allow-list.
            nodes = List.copyOf(nodes);
        }
    }

    private NodeAgent() {
    }

    public static Behavior<Command> create(String self, ResolvedPlacement placement) {
        return Behaviors.setup(ctx -> {
            Set<Address> serving = new HashSet<>();
            ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, ExpertGroups::new);
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(ExpertGroup.SERVICE, listings));
            return Behaviors.receive(Command.class)
                    .onMessage(ExpertGroups.class, groups -> {
                        serving.clear();
                        for (ActorRef<ExpertGroup.Command> g : groups.listing().getServiceInstances(ExpertGroup.SERVICE)) {
                            serving.add(g.path().address().hasLocalScope() ? Cluster.get(ctx.getSystem()).selfMember().address()
                                    : g.path().address());
                        }
                        return Behaviors.same();
                    })
                    .onMessage(GetStatus.class, get -> {
                        get.replyTo().tell(new ClusterStatus(self, status(placement, Cluster.get(ctx.getSystem()), serving)));
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static List<NodeStatus> status(ResolvedPlacement resolved, Cluster cluster, Set<Address> serving) {
        Placement p = resolved.placement();
        var state = cluster.state();
        List<NodeStatus> out = new ArrayList<>();
        for (NodeSpec n : p.nodes()) {
            String health = "absent";
            Boolean expertsServing = n.hasRole(Role.EXPERTS) ? false : null;
            for (Member m : state.getMembers()) {
                Address a = m.address();
                if (n.host().equals(a.getHost().orElse("")) && n.pekkoPort() == (int) a.getPort().orElse(-1)) {
                    health = state.getUnreachable().contains(m) ? "unreachable" : m.status().toString().toLowerCase();
                    if (expertsServing != null) {
                        expertsServing = serving.contains(a);
                    }
                }
            }
            StringBuilder experts = new StringBuilder();
            for (Map.Entry<Integer, ?> e : resolved.experts(n.name()).entrySet()) {
                experts.append(experts.isEmpty() ? "" : " ").append("L").append(e.getKey()).append(":").append(e.getValue());
            }
            out.add(new NodeStatus(n.name(), n.host() + ":" + n.pekkoPort(),
                    n.roles().stream().map(r -> r.configName()).sorted().toList(), n.device().toString(),
                    resolved.attentionLayers(n.name()).toString(), experts.toString(), health, expertsServing));
        }
        return out;
    }
}
