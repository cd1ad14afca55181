package dev.conclave.actors;

import dev.conclave.dispatch.ExpertServer;
import java.time.Duration;
import org.agrona.concurrent.IdleStrategy;
import org.apache.pekko.actor.typed.Behavior;
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

    private enum Serve implements Command { NEXT }

    private static final long SLICE_NANOS = Duration.ofMillis(2).toNanos();

    private final ExpertServer server;
    private final IdleStrategy idle;

    public static Behavior<Command> create(ExpertServer server, IdleStrategy idle) {
        return Behaviors.setup(ctx -> {
            ctx.getSelf().tell(Serve.NEXT);
            return new ExpertGroup(ctx, server, idle);
        });
    }

    private ExpertGroup(ActorContext<Command> context, ExpertServer server, IdleStrategy idle) {
        super(context);
        this.server = server;
        this.idle = idle;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessageEquals(Serve.NEXT, this::serve).build();
    }

    private Behavior<Command> serve() {
        long end = System.nanoTime() + SLICE_NANOS;
        while (System.nanoTime() - end < 0) {
            idle.idle(server.doWork());
        }
        getContext().getSelf().tell(Serve.NEXT);
        return this;
    }
}
