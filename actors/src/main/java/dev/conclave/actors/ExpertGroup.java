package dev.conclave.actors;

import dev.conclave.dispatch.ExpertServer;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
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

    private static final long SLICE_NANOS = Duration.ofMillis(2).toNanos();
    /** After this long without work the group polls once a millisecond: idle nodes must not eat the cores. */
    private static final long QUIET_NANOS = Duration.ofMillis(50).toNanos();

    private final ExpertServer server;
    private final IdleStrategy idle;
    private long lastWork = System.nanoTime();

    public static Behavior<Command> create(ExpertServer server, IdleStrategy idle) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE, ctx.getSelf()));
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
        long now;
        while ((now = System.nanoTime()) - end < 0) {
            int work = server.doWork();
            if (work > 0) {
                lastWork = now;
                idle.reset();
            } else if (now - lastWork > QUIET_NANOS) {
                LockSupport.parkNanos(1_000_000);
            } else {
                idle.idle();
            }
        }
        getContext().getSelf().tell(Serve.NEXT);
        return this;
    }
}
