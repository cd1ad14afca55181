package dev.conclave.actors.cluster;

import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.conclave.actors.cluster.TestMessages.Ping;
import dev.conclave.actors.cluster.TestMessages.Pong;
import dev.conclave.actors.cluster.TestMessages.Sample;
import dev.conclave.actors.cluster.TestMessages.Unregistered;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.serialization.DisabledJavaSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.util.Try;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two cluster nodes in one JVM on 127.0.0.1, formed once and shared by every test (a cluster costs
 * seconds to form and to leave): Kryo between them, its refusals, Java serialization off, the listening
 * sockets, and the receptionist across nodes.
 */
class ControlPlaneClusterTest {

    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Config TEST_SERIALIZER = ConfigFactory.parseString(
            "pekko.actor.serializers.kryo = \"" + TestKryoSerializer.class.getName() + "\"");

    private static ActorSystem<Void> attention;
    private static ActorSystem<Void> expert;

    @BeforeAll
    static void formCluster() throws Exception {
        int attentionPort = freeLoopbackPort();
        int expertPort = freeLoopbackPort();
        List<String> seeds = List.of(LOOPBACK + ":" + attentionPort);
        attention = ClusterNode.start(new ClusterSettings("conclave-test", LOOPBACK, attentionPort, null, seeds,
                List.of("attention")), TEST_SERIALIZER, Behaviors.empty());
        expert = ClusterNode.start(new ClusterSettings("conclave-test", LOOPBACK, expertPort, null, seeds,
                List.of("expert")), TEST_SERIALIZER, Behaviors.empty());
        ClusterNode.awaitMembers(attention, 2, Duration.ofSeconds(20));
        ClusterNode.awaitMembers(expert, 2, TIMEOUT);
    }

    @AfterAll
    static void leaveCluster() throws Exception {
        // Both at once: each leaves while the other is still there to see it go.
        attention.terminate();
        expert.terminate();
        attention.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        expert.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void bothNodesSeeBothUpWithTheirRoles() {
        for (ActorSystem<?> node : List.of(attention, expert)) {
            List<Member> members = StreamSupport.stream(Cluster.get(node).state().getMembers().spliterator(), false)
                    .toList();
            assertEquals(2, members.size(), members.toString());
            for (Member member : members) {
                assertEquals(MemberStatus.up(), member.status(), member.toString());
            }
            Set<String> roles = members.stream()
                    .flatMap(member -> member.getRoles().stream())
                    .filter(role -> !role.startsWith("dc-")) // Pekko's data-center role
                    .collect(Collectors.toSet());
            assertEquals(Set.of("attention", "expert"), roles);
        }
    }

    @Test
    void kryoCarriesRecordsArraysListsAndRefsAcrossSystems() {
        TestProbe<Pong> replies = TestProbe.create(attention);
        Sample sent = new Sample(replies.getRef(), new int[] {1, 2, 151_329}, new float[] {0.5f, -1.25f, Float.NaN},
                List.of("q_proj", "k_proj", "v_proj"), new Pong("nested"));
        Serialization writer = SerializationExtension.get(attention.classicSystem());
        assertInstanceOf(TestKryoSerializer.class, writer.findSerializerFor(sent));

        byte[] bytes = writer.serialize(sent).get();
        Sample received = (Sample) SerializationExtension.get(expert.classicSystem())
                .deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();

        assertArrayEquals(sent.tokens(), received.tokens());
        assertArrayEquals(sent.logits(), received.logits());
        assertEquals(sent.names(), received.names());
        assertEquals(sent.nested(), received.nested());
        assertEquals(attention.address(), received.replyTo().path().address());
        assertEquals(replies.getRef().path().toStringWithoutAddress(),
                received.replyTo().path().toStringWithoutAddress());
        // The resolved ref is a live remote ref: a reply sent on the expert node reaches the probe.
        received.replyTo().tell(new Pong("back"));
        assertEquals(new Pong("back"), replies.receiveMessage(TIMEOUT));
    }

    @Test
    void aKryoOnlyMessageCrossesNodes() {
        ActorRef<Ping> echo = expert.systemActorOf(echo(), "echo", Props.empty());
        ActorRef<Ping> remoteEcho = ActorRefResolver.get(attention)
                .resolveActorRef(ActorRefResolver.get(expert).toSerializationFormat(echo));
        assertEquals(expert.address(), remoteEcho.path().address());
        TestProbe<Pong> replies = TestProbe.create(attention);

        remoteEcho.tell(new Ping("hello", replies.getRef()));

        assertEquals(new Pong("hello via " + expert.address()), replies.receiveMessage(TIMEOUT));
    }

    @Test
    void theReceptionistFindsAServiceOnTheOtherNode() {
        ServiceKey<Ping> key = ServiceKey.create(Ping.class, "echo");
        ActorRef<Ping> echo = expert.systemActorOf(echo(), "registered-echo", Props.empty());
        expert.receptionist().tell(Receptionist.register(key, echo));
        TestProbe<Receptionist.Listing> listings = TestProbe.create(attention);

        attention.receptionist().tell(Receptionist.subscribe(key, listings.getRef()));
        List<Receptionist.Listing> seen = listings.fishForMessage(TIMEOUT, listing -> listing.getServiceInstances(key)
                .isEmpty() ? FishingOutcomes.continueAndIgnore() : FishingOutcomes.complete());

        Set<ActorRef<Ping>> instances = seen.getLast().getServiceInstances(key);
        assertEquals(1, instances.size());
        ActorRef<Ping> found = instances.iterator().next();
        assertEquals(expert.address(), found.path().address());
        TestProbe<Pong> replies = TestProbe.create(attention);
        found.tell(new Ping("found", replies.getRef()));
        assertEquals(new Pong("found via " + expert.address()), replies.receiveMessage(TIMEOUT));
    }

    @Test
    void anUnregisteredClassIsRefusedWhenWriting() {
        Serialization serialization = SerializationExtension.get(attention.classicSystem());

        Throwable topLevel = serialization.serialize(new Unregistered(7)).failed().get();
        assertInstanceOf(IllegalArgumentException.class, topLevel);
        assertEquals(Unregistered.class.getName() + " is not registered with Kryo: add it to "
                + ControlMessages.class.getName(), topLevel.getMessage());

        Sample withArrayList = new Sample(null, new int[0], new float[0], new ArrayList<>(List.of("x")), null);
        Throwable nested = serialization.serialize(withArrayList).failed().get();
        assertInstanceOf(IllegalArgumentException.class, nested);
        assertTrue(nested.getMessage().contains("cannot serialize " + Sample.class.getName())
                && nested.getMessage().contains("java.util.ArrayList is not registered"), nested.getMessage());

        // The production allow-list does not know the tests' messages.
        KryoSerializer production = new KryoSerializer((ExtendedActorSystem) attention.classicSystem());
        IllegalArgumentException unknown =
                assertThrows(IllegalArgumentException.class, () -> production.toBinary(new Pong("x")));
        assertTrue(unknown.getMessage().startsWith(Pong.class.getName() + " is not registered"), unknown.getMessage());
    }

    @Test
    void anUnregisteredClassIsRefusedWhenReading() {
        ExtendedActorSystem system = (ExtendedActorSystem) attention.classicSystem();
        Serialization reader = SerializationExtension.get(expert.classicSystem());

        // A node whose list goes one class further writes an id this node does not know.
        byte[] unknownId = new TestKryoSerializer(system, List.of(Unregistered.class)).toBinary(new Unregistered(7));
        Throwable byId = reader.deserialize(unknownId, KryoSerializer.IDENTIFIER, "").failed().get();
        assertInstanceOf(IllegalArgumentException.class, byId);
        int id = ControlMessages.FIRST_ID + ControlMessages.CLASSES.size() + TestMessages.REGISTERED.size();
        assertTrue(byId.getMessage().contains("unregistered class ID: " + id), byId.getMessage());

        // A payload naming a class, as Kryo writes classes when registration is optional, is refused
        // before any class loading: this class does not exist.
        Output byName = new Output(64);
        byName.writeVarInt(DefaultClassResolver.NAME + 2, true);
        byName.writeVarInt(0, true);
        byName.writeString("com.example.Gadget");
        Throwable named = reader.deserialize(byName.toBytes(), KryoSerializer.IDENTIFIER, "").failed().get();
        assertInstanceOf(IllegalArgumentException.class, named);
        assertTrue(named.getMessage().contains("names class com.example.Gadget instead of a registered id"),
                named.getMessage());

        // A registered support type is still no message on its own.
        byte[] bareArray = new TestKryoSerializer(system).toBinary(new int[] {1});
        Throwable bare = reader.deserialize(bareArray, KryoSerializer.IDENTIFIER, "").failed().get();
        assertTrue(bare.getMessage().contains("[I, not a control message"), bare.getMessage());
    }

    /** Serializable but no control message, so only Java serialization could carry it. */
    private record JavaOnly(int value) implements Serializable {
    }

    @Test
    void javaSerializationIsDisabled() throws IOException {
        Serialization serialization = SerializationExtension.get(attention.classicSystem());
        assertInstanceOf(DisabledJavaSerializer.class, serialization.findSerializerFor(new JavaOnly(1)));

        Try<byte[]> written = serialization.serialize(new JavaOnly(1));
        assertTrue(written.isFailure());
        assertTrue(written.failed().get().getMessage().contains("allow-java-serialization"));

        ByteArrayOutputStream javaBytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(javaBytes)) {
            out.writeObject(new JavaOnly(1));
        }
        int javaSerializerId = 1;
        assertTrue(serialization.deserialize(javaBytes.toByteArray(), javaSerializerId, "").isFailure());
    }

    @Test
    void arteryListensOnTheConfiguredLoopbackAddressOnly() throws IOException {
        for (ActorSystem<?> node : List.of(attention, expert)) {
            Address address = ((ExtendedActorSystem) node.classicSystem()).provider().getDefaultAddress();
            assertEquals(LOOPBACK, address.getHost().orElseThrow());
            int port = address.getPort().orElseThrow();

            assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux's /proc/net/tcp");
            List<InetAddress> listeners = listeningAddresses(port);
            assertFalse(listeners.isEmpty(), "no listener on port " + port);
            for (InetAddress listener : listeners) {
                assertEquals(LOOPBACK, listener.getHostAddress(), "a socket listens on " + listener + ":" + port);
            }
        }
    }

    private static Behavior<Ping> echo() {
        return Behaviors.setup(context -> Behaviors.receiveMessage(ping -> {
            ping.replyTo().tell(new Pong(ping.text() + " via " + context.getSystem().address()));
            return Behaviors.same();
        }));
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        }
    }

    /**
     * The local addresses of the TCP sockets listening on {@code port}, IPv4 and IPv6 alike: the kernel's
     * tables list each as hex words in host byte order, then the port, and the state 0A for LISTEN.
     */
    private static List<InetAddress> listeningAddresses(int port) throws IOException {
        List<InetAddress> addresses = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.isReadable(path)) {
                continue;
            }
            List<String> lines = Files.readAllLines(path);
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                String[] local = fields[1].split(":");
                if (fields[3].equals("0A") && Integer.parseInt(local[1], 16) == port) {
                    addresses.add(InetAddress.getByAddress(hostOrderWordsToBytes(local[0])));
                }
            }
        }
        return addresses;
    }

    private static byte[] hostOrderWordsToBytes(String hex) {
        byte[] bytes = new byte[hex.length() / 2];
        boolean littleEndian = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        for (int i = 0; i < bytes.length; i++) {
            int word = i / 4;
            int inWord = littleEndian ? 3 - i % 4 : i % 4;
            int at = (word * 4 + inWord) * 2;
            bytes[i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
        }
        return bytes;
    }
}
