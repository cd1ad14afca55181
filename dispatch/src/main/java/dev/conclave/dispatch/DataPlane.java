package dev.conclave.dispatch;

import io.aeron.Aeron;
import io.aeron.ChannelUri;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.CommonContext;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.LogBufferDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * One node's end of the MoE all-to-all over Aeron: an embedded media driver (or an external one), one
 * inbound Subscription per {@link Lane} on this node's channel, and one Publication per lane and peer,
 * created on first use.
 * <p>
 * The two lanes are separate streams so that the attention stage's thread (sends DISPATCH, polls
 * COMBINE) and the expert server's thread (polls DISPATCH, sends COMBINE) never share a Subscription
 * or an exclusive Publication. Each lane is used by one thread per node.
 */
public final class DataPlane implements AutoCloseable {

    /** Requests to expert servers, and their replies. */
    public enum Lane { DISPATCH, COMBINE }

    /**
     * A node of the data plane: {@code aeron:udp?endpoint=HOST:PORT} (its inbound address) or
     * {@code aeron:ipc} (nodes that share one media driver).
     */
    public record Node(String name, String channel) {

        public Node {
            ChannelUri uri = ChannelUri.parse(channel);
            boolean udp = CommonContext.UDP_MEDIA.equals(uri.media()) && uri.get(CommonContext.ENDPOINT_PARAM_NAME) != null;
            if (!udp && !CommonContext.IPC_MEDIA.equals(uri.media())) {
                throw new IllegalArgumentException("node " + name + ": channel must be aeron:ipc or aeron:udp?endpoint=HOST:PORT, got " + channel);
            }
        }

        public static Node udp(String name, String host, int port) {
            return new Node(name, "aeron:udp?endpoint=" + host + ":" + port);
        }

        public static Node ipc(String name) {
            return new Node(name, CommonContext.IPC_CHANNEL);
        }

        public boolean isIpc() {
            return ChannelUri.parse(channel).isIpc();
        }

        /** {@code HOST:PORT}, or {@code ipc}. */
        public String address() {
            return isIpc() ? "ipc" : ChannelUri.parse(channel).get(CommonContext.ENDPOINT_PARAM_NAME);
        }

        String host() {
            String endpoint = address();
            return endpoint.substring(0, endpoint.lastIndexOf(':'));
        }

        @Override
        public String toString() {
            return name + " (" + address() + ")";
        }
    }

    /**
     * Log buffer term length (a power of two; the largest message is a term/8, larger ones are sent as
     * chunks), MTU (Aeron fragments messages into frames of this size), and how long a send may wait
     * for a peer that is not connected or back-pressured before the step fails.
     */
    public record Settings(int termLength, int mtu, Duration sendTimeout) {

        public static final Settings DEFAULT = new Settings(4 << 20, 8 << 10, Duration.ofSeconds(1));

        public Settings {
            LogBufferDescriptor.checkTermLength(termLength);
            if (mtu < 4 * FrameDescriptor.FRAME_ALIGNMENT || mtu % FrameDescriptor.FRAME_ALIGNMENT != 0 || mtu > 65504) {
                throw new IllegalArgumentException("mtu " + mtu + " must be a multiple of 32 in [128, 65504]");
            }
        }

        public Settings withSendTimeout(Duration timeout) {
            return new Settings(termLength, mtu, timeout);
        }
    }

    private static final int STREAM_BASE = 7100;
    private static final int SOCKET_BUFFER = 2 << 20;

    private final List<Node> nodes;
    private final int self;
    private final Settings settings;
    private final MediaDriver driver;
    private final Aeron aeron;
    private final String[] publicationChannels;
    private final Subscription[] inbound = new Subscription[Lane.values().length];
    private final ExclusivePublication[][] outbound;
    private final IdleStrategy[] sendIdle = {idleStrategy(), idleStrategy()};

    private DataPlane(List<Node> nodes, int self, Settings settings, MediaDriver driver, String aeronDirectory) {
        this.nodes = List.copyOf(nodes);
        this.self = self;
        this.settings = settings;
        this.driver = driver;
        this.outbound = new ExclusivePublication[Lane.values().length][nodes.size()];
        this.publicationChannels = new String[nodes.size()];
        for (int n = 0; n < nodes.size(); n++) {
            publicationChannels[n] = publicationChannel(nodes.get(n));
        }
        this.aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDirectory));
        try {
            for (Lane lane : Lane.values()) {
                inbound[lane.ordinal()] = aeron.addSubscription(nodes.get(self).channel(), streamId(self, lane));
            }
        } catch (RuntimeException e) {
            aeron.close();
            throw e;
        }
    }

    /** Starts an embedded media driver in {@link #directoryFor}(this node's name) and joins through it. */
    public static DataPlane launch(List<Node> nodes, int self, Settings settings) {
        checkNodes(nodes, self);
        String directory = directoryFor(nodes.get(self).name()).toString();
        MediaDriver driver = launchDriver(directory);
        try {
            return new DataPlane(nodes, self, settings, driver, directory);
        } catch (RuntimeException e) {
            driver.close();
            throw e;
        }
    }

    /**
     * Starts a media driver in {@code directory}: embedded in a node, or on its own for the nodes of one host
     * to share ({@code conclave driver}), which lets them reach each other over IPC.
     */
    public static MediaDriver launchDriver(String directory) {
        return MediaDriver.launch(new MediaDriver.Context()
                .aeronDirectoryName(directory)
                // A fixed directory per node: a killed JVM's leftovers are deleted on the next start.
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .warnIfDirectoryExists(false)
                // One driver thread that backs off when idle: spinning agents starve a 2-core machine.
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(idleStrategy())
                .asyncExecutorEnabled(false)
                // Every peer may have a receiver window (128 KiB) in flight to this node's one socket at
                // once; a buffer smaller than their sum drops datagrams, and each loss costs a NAK round.
                .socketRcvbufLength(SOCKET_BUFFER)
                .socketSndbufLength(SOCKET_BUFFER)
                .termBufferSparseFile(true));
    }

    /** Joins through a media driver already running in {@code aeronDirectory} (IPC peers share one). */
    public static DataPlane connect(List<Node> nodes, int self, String aeronDirectory, Settings settings) {
        checkNodes(nodes, self);
        return new DataPlane(nodes, self, settings, null, aeronDirectory);
    }

    /** The fixed media driver directory of a node: in /dev/shm where there is one, else java.io.tmpdir. */
    public static Path directoryFor(String nodeName) {
        Path shm = Path.of("/dev/shm");
        Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        return base.resolve("conclave-aeron-" + nodeName.replaceAll("[^A-Za-z0-9._-]", "_"));
    }

    /**
     * How every data plane loop waits: spin a little, yield, then park for at most 100 µs. A hot spin
     * starves the driver on 2 cores; on this machine kind an idle loop costs about 8 % of a core, and a
     * message that finds its receiver parked waits up to about 0.15 ms.
     */
    public static IdleStrategy idleStrategy() {
        return new BackoffIdleStrategy(10, 100, 1_000, 100_000);
    }

    private static void checkNodes(List<Node> nodes, int self) {
        if (self < 0 || self >= nodes.size()) {
            throw new IllegalArgumentException("node " + self + " is not one of the " + nodes.size() + " nodes");
        }
        if (new HashSet<>(nodes.stream().map(Node::name).toList()).size() != nodes.size()) {
            throw new IllegalArgumentException("node names must be unique: " + nodes);
        }
        if (nodes.stream().map(Node::isIpc).distinct().count() > 1) {
            throw new IllegalArgumentException("all nodes of a data plane use IPC, or all use UDP: " + nodes);
        }
    }

    /** Sends to a peer's endpoint, binding this node's side to its own host only (port chosen by the OS). */
    private String publicationChannel(Node peer) {
        ChannelUriStringBuilder b = new ChannelUriStringBuilder(peer.channel())
                .termLength(settings.termLength())
                .mtu(settings.mtu())
                .sparse(true);
        if (!peer.isIpc()) {
            b.networkInterface(nodes.get(self).host());
        }
        return b.build();
    }

    private static int streamId(int node, Lane lane) {
        return STREAM_BASE + 2 * node + lane.ordinal();
    }

    public int self() {
        return self;
    }

    public int nodeCount() {
        return nodes.size();
    }

    public Node node(int id) {
        return nodes.get(id);
    }

    public String aeronDirectory() {
        return aeron.context().aeronDirectoryName();
    }

    /** The largest message {@link #send} accepts: a term/8, as Aeron allows. */
    public int maxMessageLength() {
        return FrameDescriptor.computeMaxMessageLength(settings.termLength());
    }

    /**
     * Offers one message to {@code peer} on {@code lane}. While the peer is not connected or is
     * back-pressured, retries with back-off for up to the send timeout, then fails naming the peer.
     */
    public void send(Lane lane, int peer, DirectBuffer buffer, int offset, int length) {
        ExclusivePublication publication = publication(lane, peer);
        IdleStrategy idle = sendIdle[lane.ordinal()];
        idle.reset();
        long deadline = 0;
        while (true) {
            long result = publication.offer(buffer, offset, length);
            if (result > 0) {
                return;
            }
            if (result != Publication.NOT_CONNECTED && result != Publication.BACK_PRESSURED && result != Publication.ADMIN_ACTION) {
                throw new DataPlaneException("node " + nodes.get(peer) + ": publication " + Publication.errorString(result));
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + settings.sendTimeout().toNanos();
            } else if (now - deadline > 0) {
                throw new DataPlaneException(result == Publication.NOT_CONNECTED
                        ? "node " + nodes.get(peer) + " is not connected (waited " + settings.sendTimeout().toMillis() + " ms)"
                        : "node " + nodes.get(peer) + " is back-pressured: nothing accepted for " + settings.sendTimeout().toMillis() + " ms");
            }
            idle.idle();
        }
    }

    /** Polls up to {@code fragmentLimit} fragments of this node's inbound stream on {@code lane}. */
    public int poll(Lane lane, FragmentHandler handler, int fragmentLimit) {
        return inbound[lane.ordinal()].poll(handler, fragmentLimit);
    }

    private ExclusivePublication publication(Lane lane, int peer) {
        ExclusivePublication p = outbound[lane.ordinal()][peer];
        if (p == null) {
            p = aeron.addExclusivePublication(publicationChannels[peer], streamId(peer, lane));
            outbound[lane.ordinal()][peer] = p;
        }
        return p;
    }

    @Override
    public void close() {
        CloseHelper.closeAll(aeron, driver);
    }
}
