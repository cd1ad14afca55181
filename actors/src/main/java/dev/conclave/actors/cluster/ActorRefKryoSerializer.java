package dev.conclave.actors.cluster;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ImmutableSerializer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Writes a typed {@link ActorRef} as its full path, this node's address included, and resolves the path on
 * the receiving node, the way Pekko's own serializers carry refs. Field-serializing the ref instead would
 * copy actor-system internals.
 */
final class ActorRefKryoSerializer extends ImmutableSerializer<ActorRef<?>> {

    private final ExtendedActorSystem system;

    ActorRefKryoSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
        output.writeString(resolver().toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
        return resolver().resolveActorRef(input.readString());
    }

    /** Looked up on use: Pekko builds its serializers while the ActorSystem is still starting. */
    private ActorRefResolver resolver() {
        return ActorRefResolver.get(Adapter.toTyped(system));
    }
}
