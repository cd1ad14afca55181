package dev.conclave.actors;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.DataPlane;
import dev.conclave.dispatch.ExpertServer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.optim.StepReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * An expert group in training. It registers with the receptionist and waits for the supervisor's
 * {@link Begin}, which brings the optimizer settings; it then loads the routed experts its node owns
 * ({@link TrainingExperts}) and serves them on its pinned thread over the DISPATCH lane in both directions.
 * Between serving slices it answers the supervisor's optimizer protocol: this node's share of the global
 * gradient norm, then the step with the global norm every owner clips to. A node process serves one run:
 * a second {@link Begin} goes unanswered.
 */
public final class TrainingExpertGroup extends AbstractBehavior<TrainingExpertGroup.Command> {

    public sealed interface Command extends ControlMessage {
    }

    /** Training expert groups register under this key, so that the supervisor finds every owner. */
    public static final ServiceKey<Command> SERVICE = ServiceKey.create(Command.class, "conclave-training-experts");

    /**
     * Load the owned experts with this optimizer and start serving; answered by {@link Ready}. With {@code rl} the
     * MTP layer's experts are frozen (RL, training spec §1.10).
     */
    public record Begin(OptimizerConfig optimizer, boolean rl, ActorRef<Ready> replyTo) implements Command {
    }

    /** The group of node {@code node} serves, owning {@code params} tensors. */
    public record Ready(String node, int params, ActorRef<Command> group) implements ControlMessage {
    }

    /** Asks for this node's {@link GradShare} of the step's accumulated gradients. */
    public record GetGradShare(ActorRef<GradShare> replyTo) implements Command {
    }

    /** Σ g² over the params a node owns, and its first param with a non-finite gradient (null: none). */
    public record GradShare(String node, double squaredSum, String nonFiniteParam) implements ControlMessage {
    }

    /** Clip to {@code globalNorm} and step (or skip, naming the non-finite param), then zero the gradients. */
    public record ApplyStep(double globalNorm, String nonFiniteParam, ActorRef<StepApplied> replyTo) implements Command {
    }

    /** The owner's optimizer step count after the step, and whether it was skipped. */
    public record StepApplied(String node, long stepsTaken, boolean skipped) implements ControlMessage {
    }

    /**
     * Asks for chunk {@code index} of this node's state (master weights and optimizer moments, for a checkpoint);
     * chunk 0 takes a fresh snapshot. Chunks keep each message well inside Pekko's frame size.
     */
    public record GetState(int index, ActorRef<StateChunk> replyTo) implements Command {
    }

    /** Chunk {@code index} of the {@code count} chunks of a node's state. */
    public record StateChunk(String node, int index, int count, byte[] bytes) implements ControlMessage {
    }

    /** Chunk {@code index} of {@code count} of a state to restore (resume); the last one restores it. */
    public record RestoreState(int index, int count, byte[] bytes, ActorRef<Restored> replyTo) implements Command {
    }

    /** A chunk arrived; after the last one, {@code stepsTaken} is the restored optimizer's step (else -1). */
    public record Restored(String node, int index, long stepsTaken, String error) implements ControlMessage {
    }

    /** The most state bytes one message carries. */
    public static final int CHUNK_BYTES = 128 << 10;

    private enum Serve implements Command { NEXT }

    /** What a group needs to load its experts once {@link Begin} comes. */
    public record Setup(String name, int index, Checkpoint checkpoint, TrainingOwners owners, DataPlane plane, Parallel parallel) {
    }

    private final TrainingExperts experts;
    private final ServingSlices slices;
    private byte[] snapshot;
    private ByteArrayOutputStream restoring;

    /** A group of {@code node} that waits for {@link Begin}. */
    public static Behavior<Command> create(Setup node) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE, ctx.getSelf()));
            return Behaviors.receive(Command.class)
                    .onMessage(Begin.class, begin -> {
                        TrainingExperts experts = new TrainingExperts(node.name(), node.index(), node.checkpoint(),
                                node.owners(), begin.optimizer(), begin.rl(), node.parallel());
                        ExpertServer server = new ExpertServer(node.plane(), experts,
                                e -> ctx.getLog().warn("training expert group {}: {}", node.name(), e.getMessage()));
                        begin.replyTo().tell(new Ready(node.name(), experts.params().size(), ctx.getSelf()));
                        ctx.getSelf().tell(Serve.NEXT);
                        return new TrainingExpertGroup(ctx, experts, new ServingSlices(server, DataPlane.idleStrategy()));
                    })
                    .build();
        });
    }

    private TrainingExpertGroup(ActorContext<Command> context, TrainingExperts experts, ServingSlices slices) {
        super(context);
        this.experts = experts;
        this.slices = slices;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Serve.NEXT, this::serve)
                .onMessage(GetGradShare.class, g -> {
                    g.replyTo().tell(experts.gradShare());
                    return this;
                })
                .onMessage(ApplyStep.class, a -> {
                    StepReport r = experts.step(a.globalNorm(), a.nonFiniteParam());
                    a.replyTo().tell(new StepApplied(experts.node(), experts.optimizer().stepsTaken(), r.skipped()));
                    return this;
                })
                .onMessage(GetState.class, g -> {
                    if (g.index() == 0 || snapshot == null) {
                        snapshot = experts.state();
                    }
                    int count = Math.max(1, (snapshot.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
                    int from = Math.min(snapshot.length, g.index() * CHUNK_BYTES);
                    g.replyTo().tell(new StateChunk(experts.node(), g.index(), count,
                            Arrays.copyOfRange(snapshot, from, Math.min(snapshot.length, from + CHUNK_BYTES))));
                    return this;
                })
                .onMessage(RestoreState.class, r -> {
                    if (r.index() == 0) {
                        restoring = new ByteArrayOutputStream();
                    }
                    restoring.writeBytes(r.bytes());
                    if (r.index() < r.count() - 1) {
                        r.replyTo().tell(new Restored(experts.node(), r.index(), -1, null));
                        return this;
                    }
                    try {
                        experts.restore(restoring.toByteArray(), "state of node " + experts.node());
                        r.replyTo().tell(new Restored(experts.node(), r.index(), experts.optimizer().stepsTaken(), null));
                    } catch (IOException | RuntimeException e) {
                        r.replyTo().tell(new Restored(experts.node(), r.index(), -1, e.getMessage()));
                    }
                    restoring = null;
                    return this;
                })
                .build();
    }

    private Behavior<Command> serve() {
        slices.serveSlice();
        getContext().getSelf().tell(Serve.NEXT);
        return this;
    }
}
