package dev.conclave.actors.cluster;

import dev.conclave.actors.ControlMessage;
import org.apache.pekko.actor.typed.ActorRef;

import java.util.List;

/** The messages the tests send; {@link TestKryoSerializer} registers them after {@link ControlMessages}. */
final class TestMessages {

    /** Every kind of field Kryo must carry: a typed ref, primitive arrays, an immutable list, a nested record. */
    record Sample(ActorRef<Pong> replyTo, int[] tokens, float[] logits, List<String> names, Pong nested)
            implements ControlMessage {
    }

    /** Kryo-only: not Serializable, so nothing but Kryo can carry it between nodes. */
    record Ping(String text, ActorRef<Pong> replyTo) implements ControlMessage {
    }

    record Pong(String text) implements ControlMessage {
    }

    /** Bound to Kryo by its marker, but registered nowhere. */
    record Unregistered(int value) implements ControlMessage {
    }

    static final List<Class<?>> REGISTERED = List.of(Sample.class, Ping.class, Pong.class);

    private TestMessages() {
    }
}
