package dev.conclave.actors;

import dev.conclave.dispatch.ExpertServer;
import org.agrona.concurrent.IdleStrategy;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * An expert group: a set of (layer, expert) routed experts on one device. Its pinned thread serves the
 * node's DISPATCH lane: it polls in slices and sends itself the next slice, so control messages still
 * get their turn between slices.
 */
public final class ExpertGroup extends AbstractBehavior<ExpertGroup.Command> {

    public sealed interface Command extends ControlMessage {
    }

    /** Every expert group registers under this key: the head learns which nodes' experts are serving. */
    public static final ServiceKey<Command> SERVICE = ServiceKey.create(Command.class, "conclave-expert-group");

    private enum Serve implements Command { NEXT }

    private final ServingSlices slices;

    public static Behavior<Command> create(ExpertServer server, IdleStrategy idle) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE, ctx.getSelf()));
            ctx.getSelf().tell(Serve.NEXT);
            return new ExpertGroup(ctx, server, idle);
        });
    }

    private ExpertGroup(ActorContext<Command> context, ExpertServer server, IdleStrategy idle) {
        super(context);
        this.slices = new ServingSlices(server, idle);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessageEquals(Serve.NEXT, this::serve).build();
    }

    private Behavior<Command> serve() {
        slices.serveSlice();
        getContext().getSelf().tell(Serve.NEXT);
        return this;
    }
}
