package dev.conclave.actors.cluster;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import dev.conclave.actors.ControlMessage;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.JSerializer;

import java.util.List;

/**
 * Pekko's serializer for {@link ControlMessage}s: Kryo with registration required, over the allow-list in
 * {@link ControlMessages}. An unregistered class is refused with an {@link IllegalArgumentException} that
 * names it, when writing and when reading; nothing falls back to Java serialization.
 *
 * <p>A {@link JSerializer} rather than a {@code SerializerWithStringManifest}: Kryo writes the class's
 * registered id at the head of every payload, so a manifest would only repeat it.
 *
 * <p>Pekko calls a serializer from several threads at once (Artery's lanes, asks); Kryo instances are not
 * thread-safe, so each call borrows one from a pool.
 */
public class KryoSerializer extends JSerializer {

    /** Written into every message envelope, so it never changes; Pekko reserves 0 to 40. "KR" in ASCII. */
    public static final int IDENTIFIER = 0x4B52;

    /** Enough for every lane and a few concurrent asks; beyond it, instances are built and dropped. */
    private static final int POOL_CAPACITY = 16;

    private static final int INITIAL_BUFFER_BYTES = 256;

    private final Pool<Kryo> pool;

    public KryoSerializer(ExtendedActorSystem system) {
        this(system, ControlMessages.CLASSES);
    }

    /** @param messageClasses the allow-list, in wire order: {@link ControlMessages#CLASSES} in production */
    protected KryoSerializer(ExtendedActorSystem system, List<Class<?>> messageClasses) {
        List<Class<?>> classes = List.copyOf(messageClasses);
        this.pool = new Pool<>(true, false, POOL_CAPACITY) {
            @Override
            protected Kryo create() {
                return new AllowListKryo(classes, system);
            }

            @Override
            protected void reset(Kryo kryo) {
                kryo.reset(); // a call that failed half-way must not leave state for the next one
            }
        };
        // Build one now, so that a bad allow-list fails the ActorSystem's start, not its first message.
        pool.free(pool.obtain());
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public boolean includeManifest() {
        return false;
    }

    @Override
    public byte[] toBinary(Object message) {
        Kryo kryo = pool.obtain();
        try {
            Output output = new Output(INITIAL_BUFFER_BYTES, -1);
            kryo.writeClassAndObject(output, message);
            return output.toBytes();
        } catch (KryoException e) {
            // A failure below the top level, e.g. an unregistered field type, with Kryo's field trace.
            throw new IllegalArgumentException(
                    "cannot serialize " + message.getClass().getName() + " with Kryo: " + e.getMessage(), e);
        } finally {
            pool.free(kryo);
        }
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
        Kryo kryo = pool.obtain();
        Object message;
        try {
            message = kryo.readClassAndObject(new Input(bytes));
        } catch (KryoException e) {
            throw new IllegalArgumentException("refused a Kryo control message (every node must run the same "
                    + ControlMessages.class.getSimpleName() + " list): " + e.getMessage(), e);
        } finally {
            pool.free(kryo);
        }
        if (!(message instanceof ControlMessage)) {
            throw new IllegalArgumentException("refused a Kryo payload holding a "
                    + (message == null ? "null" : message.getClass().getName()) + ", not a control message");
        }
        return message;
    }
}
