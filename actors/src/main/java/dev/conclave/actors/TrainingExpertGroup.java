package dev.conclave.actors;

import dev.conclave.dispatch.ExpertServer;
import dev.conclave.training.optim.StepReport;
import org.agrona.concurrent.IdleStrategy;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * An expert group in training: the routed experts its node owns ({@link TrainingExperts}), served on its
 * pinned thread over the DISPATCH lane in both directions, and between serving slices the optimizer protocol
 * of the {@link TrainingSupervisor}: report this node's share of the global gradient norm, then apply the
 * step with the global norm every owner clips to.
 */
public final class TrainingExpertGroup extends AbstractBehavior<TrainingExpertGroup.Command> {

    public sealed interface Command extends ControlMessage {
    }

    /** Training expert groups register under this key, so that the supervisor finds every owner. */
    public static final ServiceKey<Command> SERVICE = ServiceKey.create(Command.class, "conclave-training-experts");

    /** Asks for this node's {@link GradShare} of the step's accumulated gradients. */
    public record GetGradShare(ActorRef<GradShare> replyTo) implements Command {
    }

    /** Σ g² over the params a node owns, and its first param with a non-finite gradient (null: none). */
    public record GradShare(String node, double squaredSum, String nonFiniteParam) implements ControlMessage {
    }

    /** Clip to {@code globalNorm} and step (or skip, naming the non-finite param), then zero the gradients. */
    public record ApplyStep(double globalNorm, String nonFiniteParam, ActorRef<StepApplied> replyTo) implements Command {
    }

    /** The owner's optimizer step number after the step, and whether it was skipped. */
    public record StepApplied(String node, long stepsTaken, boolean skipped) implements ControlMessage {
    }

    private enum Serve implements Command { NEXT }

    private final TrainingExperts experts;
    private final ServingSlices slices;

    public static Behavior<Command> create(TrainingExperts experts, ExpertServer server, IdleStrategy idle) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE, ctx.getSelf()));
            ctx.getSelf().tell(Serve.NEXT);
            return new TrainingExpertGroup(ctx, experts, server, idle);
        });
    }

    private TrainingExpertGroup(ActorContext<Command> context, TrainingExperts experts, ExpertServer server, IdleStrategy idle) {
        super(context);
        this.experts = experts;
        this.slices = new ServingSlices(server, idle);
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
                .build();
    }

    private Behavior<Command> serve() {
        slices.serveSlice();
        getContext().getSelf().tell(Serve.NEXT);
        return this;
    }
}
