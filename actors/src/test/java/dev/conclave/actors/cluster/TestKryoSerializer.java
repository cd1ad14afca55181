package dev.conclave.actors.cluster;

import org.apache.pekko.actor.ExtendedActorSystem;

import java.util.List;
import java.util.stream.Stream;

/** The production serializer with the tests' messages appended to the allow-list, as a later line would be. */
public final class TestKryoSerializer extends KryoSerializer {

    public TestKryoSerializer(ExtendedActorSystem system) {
        this(system, List.of());
    }

    /** @param more classes registered after the tests' messages, to write what other nodes must refuse */
    TestKryoSerializer(ExtendedActorSystem system, List<Class<?>> more) {
        super(system, Stream.of(ControlMessages.CLASSES, TestMessages.REGISTERED, more).flatMap(List::stream).toList());
    }
}
