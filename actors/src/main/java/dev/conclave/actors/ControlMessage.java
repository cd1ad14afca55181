package dev.conclave.actors;

/**
 * The marker of every actor-protocol message that may cross nodes. Pekko's serialization-bindings map it
 * to Conclave's Kryo serializer, which accepts only the classes listed in
 * {@link dev.conclave.actors.cluster.ControlMessages}. It deliberately does not extend
 * {@link java.io.Serializable}: Java serialization is switched off, and a second binding would make the
 * choice of serializer ambiguous.
 */
public interface ControlMessage {
}
