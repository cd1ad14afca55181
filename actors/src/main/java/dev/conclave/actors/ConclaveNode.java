package dev.conclave.actors;

import dev.conclave.actors.cluster.ClusterNode;
import dev.conclave.actors.cluster.ClusterSettings;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.DataPlane;
import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.dispatch.ExpertServer;
import dev.conclave.dispatch.RowsMessage;
import dev.conclave.experts.ExpertShard;
import dev.conclave.model.DecoderLayer;
import dev.conclave.model.Embedding;
import dev.conclave.model.LayerStack;
import dev.conclave.model.MtpLayer;
import dev.conclave.model.OutputHead;
import dev.conclave.model.StageFactory;
import dev.conclave.placement.IntSet;
import dev.conclave.placement.NodeSpec;
import dev.conclave.placement.Placement;
import dev.conclave.placement.PlacementException;
import dev.conclave.placement.PlacementValidator;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.placement.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * One Conclave node: from the placement and the checkpoint it builds exactly the stages this node hosts
 * (reading only their weights), starts the Aeron data plane and joins the Pekko cluster. The head node's
 * orchestrator and agent live at fixed paths ({@link #ORCHESTRATOR_PATH}, {@link #AGENT_PATH}) so that
 * clients reach them without joining the cluster.
 */
public final class ConclaveNode implements AutoCloseable {

    public static final String ORCHESTRATOR_PATH = "/user/orchestrator";
    public static final String AGENT_PATH = "/user/agent";
    private static final DispatcherSelector PINNED = DispatcherSelector.fromConfig("conclave.pinned-dispatcher");

    private final Checkpoint checkpoint;
    private final Devices devices;
    private final DataPlane dataPlane;
    private final ActorSystem<Void> system;

    private ConclaveNode(Checkpoint checkpoint, Devices devices, DataPlane dataPlane, ActorSystem<Void> system) {
        this.checkpoint = checkpoint;
        this.devices = devices;
        this.dataPlane = dataPlane;
        this.system = system;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    /** What a node does: serve inference, or own routed experts in a training run. */
    public enum Mode { SERVE, TRAIN }

    /** Starts node {@code nodeName} of {@code placement} serving the checkpoint in {@code modelDir}. */
    public static ConclaveNode start(Placement placement, String nodeName, Path modelDir) {
        return start(placement, nodeName, modelDir, Mode.SERVE);
    }

    /**
     * Starts node {@code nodeName} of {@code placement} on the checkpoint in {@code modelDir}. In {@link Mode#TRAIN}
     * an expert node runs a {@link TrainingExpertGroup} for the experts it owns, which waits for the training
     * supervisor; the head of a training run is the {@code conclave train ... --cluster} process ({@link TrainingHead}).
     */
    public static ConclaveNode start(Placement placement, String nodeName, Path modelDir, Mode mode) {
        if (!placement.nodeNames().contains(nodeName)) {
            throw new PlacementException(placement.source() + ": no node named '" + nodeName + "'; nodes are "
                    + placement.nodeNames());
        }
        Checkpoint checkpoint = Checkpoint.open(modelDir);
        Devices devices = new Devices();
        DataPlane plane = null;
        try {
            ResolvedPlacement resolved = PlacementValidator.validate(placement, checkpoint.config());
            NodeSpec node = placement.node(nodeName);
            if (mode == Mode.TRAIN && node.hasRole(Role.ORCHESTRATOR)) {
                throw new PlacementException(placement.source() + ": node '" + nodeName + "' is the head of the placement;"
                        + " in training the head is the `conclave train sft|grpo --cluster` process, not a `conclave node`");
            }
            plane = startDataPlane(placement, nodeName);
            DataPlane dataPlane = plane;
            Parallel parallel = devices.cpu(node.device());
            ActorSystem<Void> system = ClusterNode.start(clusterSettings(placement, node),
                    Behaviors.setup(ctx -> mode == Mode.TRAIN
                            ? trainingGuardian(ctx, resolved, node, checkpoint, dataPlane, parallel)
                            : guardian(ctx, resolved, node, checkpoint, dataPlane, parallel)));
            return new ConclaveNode(checkpoint, devices, plane, system);
        } catch (RuntimeException e) {
            if (plane != null) {
                plane.close();
            }
            devices.close();
            checkpoint.close();
            throw e;
        }
    }

    /** The Pekko settings of a placement node: its address, the seed nodes, its roles. */
    static ClusterSettings clusterSettings(Placement placement, NodeSpec node) {
        return new ClusterSettings(placement.clusterName(), node.host(), node.pekkoPort(), null,
                placement.seedNodes().stream().map(s -> placement.node(s).host() + ":" + placement.node(s).pekkoPort())
                        .toList(),
                node.roles().stream().map(Role::configName).toList());
    }

    /**
     * Nodes with their own embedded drivers talk UDP to each other's Aeron endpoints; nodes that share one
     * external driver (one host, {@code embedded-driver = false}) talk IPC through it.
     */
    static DataPlane startDataPlane(Placement placement, String self) {
        var spec = placement.dataPlane();
        List<DataPlane.Node> nodes = new ArrayList<>();
        for (NodeSpec n : placement.nodes()) {
            if (!spec.embeddedDriver() && !n.host().equals(placement.node(self).host())) {
                throw new PlacementException(placement.source() + ": nodes " + self + " and " + n.name()
                        + " share one media driver (embedded-driver = false) but are on different hosts");
            }
            nodes.add(!spec.embeddedDriver() || n.aeronEndpoint() == null ? DataPlane.Node.ipc(n.name())
                    : DataPlane.Node.udp(n.name(), n.aeronEndpoint().host(), n.aeronEndpoint().port()));
        }
        var settings = new DataPlane.Settings(spec.termLengthBytes(), spec.mtuBytes(), spec.sendTimeout());
        int id = placement.nodeNames().indexOf(self);
        if (spec.embeddedDriver()) {
            return DataPlane.launch(nodes, id, settings);
        }
        if (spec.driverDirectory() == null) {
            throw new PlacementException(placement.source() + ": embedded-driver = false needs data-plane.driver-directory");
        }
        return DataPlane.connect(nodes, id, spec.driverDirectory(), settings);
    }

    private static Behavior<Void> trainingGuardian(ActorContext<Void> ctx, ResolvedPlacement resolved, NodeSpec node,
                                                   Checkpoint checkpoint, DataPlane plane, Parallel parallel) {
        if (node.hasRole(Role.EXPERTS)) {
            int self = resolved.placement().nodeNames().indexOf(node.name());
            ctx.spawn(TrainingExpertGroup.create(new TrainingExpertGroup.Setup(node.name(), self, checkpoint,
                    new TrainingOwners(resolved), plane, parallel)), "training-experts", PINNED);
        }
        ctx.spawn(NodeAgent.create(node.name(), resolved), AGENT_PATH.substring("/user/".length()));
        return Behaviors.empty();
    }

    private static Behavior<Void> guardian(ActorContext<Void> ctx, ResolvedPlacement resolved, NodeSpec node,
                                           Checkpoint checkpoint, DataPlane plane, Parallel parallel) {
        StageFactory f = new StageFactory(checkpoint);
        var hosted = resolved.experts(node.name());
        ExpertShard shard = f.shard((layer, expert) -> hosted.containsKey(layer) && hosted.get(layer).contains(expert));
        List<String> names = resolved.placement().nodeNames();
        int self = names.indexOf(node.name());

        if (node.hasRole(Role.EXPERTS)) {
            ExpertServer server = new ExpertServer(plane, new ShardCompute(shard, parallel),
                    e -> ctx.getLog().warn("expert group {}: {}", node.name(), e.getMessage()));
            ctx.spawn(ExpertGroup.create(server, DataPlane.idleStrategy()), "experts", PINNED);
        }
        ExpertRoutes routes = new ExpertRoutes(resolved, names, self);
        ExpertDispatcher dispatcher = new ExpertDispatcher(plane, RowsMessage.RowType.F32,
                resolved.placement().dataPlane().stepTimeout());
        List<ActorRef<AttentionStage.Command>> stages = new ArrayList<>();
        ActorRef<AttentionStage.Command> mtpStage = null;
        IntSet layers = resolved.attentionLayers(node.name());
        int mainLayers = resolved.model().numHiddenLayers();
        if (node.hasRole(Role.ATTENTION) && !layers.isEmpty()) {
            var experts = new AeronExperts(shard, dispatcher, routes, resolved.model().hiddenSize());
            List<DecoderLayer> owned = new ArrayList<>();
            for (int l : layers.toArray()) {
                if (l < mainLayers) {
                    owned.add(f.decoderLayer(l, experts));
                }
            }
            // The MTP layer's block joins the stage hosting it, on the same thread as its main layers: the
            // stage's data-plane exchanges must run one at a time. Main steps pass it by.
            LayerStack mtpBlock = layers.contains(mainLayers)
                    ? new LayerStack(List.of(f.decoderLayer(mainLayers, experts)), parallel) : null;
            var stage = ctx.spawn(AttentionStage.create(node.name(), new LayerStack(owned, parallel), mtpBlock), "attention",
                    PINNED);
            stages.add(stage);
            mtpStage = mtpBlock == null ? null : stage;
        }
        if (node.hasRole(Role.ORCHESTRATOR)) {
            var c = resolved.model();
            var settings = new Orchestrator.Settings(c.hiddenSize(), c.maxPositionEmbeddings(), c.eosTokenIds(),
                    resolved.placement().dataPlane().stepTimeout().multipliedBy(mainLayers + 1));
            Embedding embedding = Embedding.load(f);
            OutputHead output = OutputHead.load(f);
            Orchestrator.Mtp mtp = mtpStage == null ? null
                    : new Orchestrator.Mtp(MtpLayer.load(checkpoint, embedding, output), mtpStage);
            ctx.spawn(Orchestrator.create(stages, embedding, output, mtp, parallel, settings),
                    ORCHESTRATOR_PATH.substring("/user/".length()), PINNED);
        }
        ctx.spawn(NodeAgent.create(node.name(), resolved), AGENT_PATH.substring("/user/".length()));
        watchMembers(ctx, resolved.placement(), (name, reachable) -> {
            if (reachable) {
                routes.nodeUp(name);
            } else {
                routes.nodeDown(name);
            }
            dispatcher.peerReachable(names.indexOf(name), reachable);
        });
        return Behaviors.empty();
    }

    /**
     * Reports placement nodes that leave, become unreachable or come back, so that replicas take over their
     * experts and exchanges waiting on them fail at once.
     */
    private static void watchMembers(ActorContext<Void> ctx, Placement placement, BiConsumer<String, Boolean> reachability) {
        ActorRef<ClusterEvent.ClusterDomainEvent> watcher = ctx.spawn(Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
                .onMessage(ClusterEvent.MemberUp.class, e -> report(placement, reachability, e.member().address(), true))
                .onMessage(ClusterEvent.ReachableMember.class, e -> report(placement, reachability, e.member().address(), true))
                .onMessage(ClusterEvent.UnreachableMember.class,
                        e -> report(placement, reachability, e.member().address(), false))
                .onMessage(ClusterEvent.MemberRemoved.class, e -> report(placement, reachability, e.member().address(), false))
                .onAnyMessage(e -> Behaviors.same())
                .build(), "membership");
        Cluster cluster = Cluster.get(ctx.getSystem());
        cluster.subscriptions().tell(Subscribe.create(watcher.<ClusterEvent.MemberEvent>narrow(), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(watcher.<ClusterEvent.ReachabilityEvent>narrow(),
                ClusterEvent.ReachabilityEvent.class));
    }

    private static Behavior<ClusterEvent.ClusterDomainEvent> report(Placement p, BiConsumer<String, Boolean> reachability,
                                                                    Address a, boolean reachable) {
        nodeAt(p, a).ifPresent(name -> reachability.accept(name, reachable));
        return Behaviors.same();
    }

    private static java.util.Optional<String> nodeAt(Placement p, Address a) {
        return p.nodes().stream()
                .filter(n -> n.host().equals(a.getHost().orElse("")) && n.pekkoPort() == (int) a.getPort().orElse(-1))
                .map(NodeSpec::name)
                .findFirst();
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            Thread.currentThread().interrupt();
        } finally {
            dataPlane.close();
            devices.close();
            checkpoint.close();
        }
    }
}
