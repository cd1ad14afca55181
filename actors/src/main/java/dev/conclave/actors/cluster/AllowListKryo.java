package dev.conclave.actors.cluster;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Kryo that reads and writes only an allow-list of classes, each under a fixed id, so that a payload can
 * never make a node instantiate a class it did not choose to accept. The ids are the wire format: the
 * support types below and {@link ControlMessages#FIRST_ID} + index for the message classes. Not
 * thread-safe, like every Kryo.
 */
final class AllowListKryo extends Kryo {

    /** Messages are shallow trees (record, list, record, array); anything deeper is a malformed payload. */
    private static final int MAX_DEPTH = 64;

    AllowListKryo(List<Class<?>> messageClasses, ExtendedActorSystem system) {
        // No reference resolver: messages are trees, so shared or cyclic references are not tracked.
        super(new Resolver(), null);
        setRegistrationRequired(true);
        setMaxDepth(MAX_DEPTH);
        // Records need nothing here: Kryo 5 serializes any registered record with its RecordSerializer,
        // through the canonical constructor.
        ImmutableCollectionsSerializers.addDefaultSerializers(this);
        register(boolean[].class, 16);
        register(byte[].class, 17);
        register(char[].class, 18);
        register(short[].class, 19);
        register(int[].class, 20);
        register(long[].class, 21);
        register(float[].class, 22);
        register(double[].class, 23);
        register(String[].class, 24);
        register(List.of().getClass(), 25);                    // 0 or 3+ elements, and Stream.toList()
        register(List.of(1).getClass(), 26);                   // 1 or 2 elements
        register(List.of(1, 2, 3).subList(0, 1).getClass(), 27);
        register(Set.of().getClass(), 28);
        register(Set.of(1).getClass(), 29);
        register(Map.of().getClass(), 30);
        register(Map.of(1, 1).getClass(), 31);
        register(ActorRef.class, new ActorRefKryoSerializer(system), 32);
        for (int i = 0; i < messageClasses.size(); i++) {
            registerMessageClass(messageClasses.get(i), ControlMessages.FIRST_ID + i);
        }
    }

    private void registerMessageClass(Class<?> type, int id) {
        if (!(type.isRecord() || type.isEnum() || type.isArray())) {
            throw new IllegalArgumentException(type.getName() + " is not a record, an enum or an array: Kryo"
                    + " would need reflective access to its fields and a no-argument constructor");
        }
        if (getClassResolver().getRegistration(type) != null) {
            throw new IllegalArgumentException(type.getName() + " is registered twice with Kryo");
        }
        register(type, id);
    }

    @Override
    @SuppressWarnings("rawtypes") // Kryo's signature
    protected String unregisteredClassMessage(Class type) {
        return type.getName() + " is not registered with Kryo: add it to " + ControlMessages.class.getName();
    }

    /**
     * Registrations by class and by id, as Kryo's default, with two changes: every implementation of a
     * typed {@link ActorRef} shares the one ActorRef registration, and a payload that names a class instead
     * of giving a registered id is refused before anything is loaded.
     */
    private static final class Resolver extends DefaultClassResolver {

        @Override
        @SuppressWarnings("rawtypes") // Kryo's signature
        public Registration getRegistration(Class type) {
            Registration registration = super.getRegistration(type);
            if (registration == null && ActorRef.class.isAssignableFrom(type)) {
                registration = super.getRegistration(ActorRef.class);
            }
            return registration;
        }

        @Override
        protected Registration readName(Input input) {
            input.readVarInt(true); // the name's id within this payload
            throw new KryoException("the payload names class " + input.readString()
                    + " instead of a registered id; only classes in " + ControlMessages.class.getName()
                    + " are accepted");
        }
    }
}
