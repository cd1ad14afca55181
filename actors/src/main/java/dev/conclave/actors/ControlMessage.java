package dev.conclave.actors;

/**
 * Marker of every actor protocol message. Messages that cross JVMs are serialized by Kryo with
 * registration required; tensors never travel this way (they go over the Aeron data plane).
 */
public interface ControlMessage {
}
