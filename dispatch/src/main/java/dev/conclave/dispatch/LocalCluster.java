package dev.conclave.dispatch;

import dev.conclave.dispatch.DataPlane.Node;
import dev.conclave.dispatch.DataPlane.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;

/**
 * Data plane nodes in one JVM, each on its own threads, for tests and the dispatch benchmark. Over
 * IPC every node joins through node 0's media driver, as processes on one host would share one; over
 * UDP each node runs its own driver on 127.0.0.1, as separate hosts would.
 */
final class LocalCluster implements AutoCloseable {

    enum Transport { IPC, UDP }

    private static final String HOST = "127.0.0.1";

    private final List<Node> nodes;
    private final List<DataPlane> planes = new ArrayList<>();
    private final List<AgentRunner> servers = new ArrayList<>();

    /** Nodes named {@code name-pid-i}, unique per JVM so that concurrent runs never share a driver directory. */
    static List<Node> nodes(Transport transport, String name, int count) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String nodeName = name + "-" + ProcessHandle.current().pid() + "-" + i;
            nodes.add(transport == Transport.IPC ? Node.ipc(nodeName) : Node.udp(nodeName, HOST, freeUdpPort()));
        }
        return nodes;
    }

    private LocalCluster(List<Node> nodes) {
        this.nodes = nodes;
    }

    /** Starts a data plane for each of {@code nodes}' first {@code running} nodes. */
    static LocalCluster start(List<Node> nodes, int running, Settings settings) {
        LocalCluster c = new LocalCluster(nodes);
        try {
            for (int i = 0; i < running; i++) {
                c.planes.add(i > 0 && nodes.get(i).isIpc()
                        ? DataPlane.connect(nodes, i, c.planes.getFirst().aeronDirectory(), settings)
                        : DataPlane.launch(nodes, i, settings));
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    static LocalCluster start(Transport transport, String name, int count, Settings settings) {
        return start(nodes(transport, name, count), count, settings);
    }

    DataPlane plane(int node) {
        return planes.get(node);
    }

    Node node(int node) {
        return nodes.get(node);
    }

    /** Runs an {@link ExpertServer} for {@code node} on a thread of its own. */
    void serve(int node, ExpertCompute compute, ErrorHandler errors) {
        AgentRunner runner = new AgentRunner(DataPlane.idleStrategy(), errors, null, new ExpertServer(planes.get(node), compute, errors));
        AgentRunner.startOnThread(runner);
        servers.add(runner);
    }

    /** Servers first, then the nodes that joined through node 0's driver, then node 0. */
    @Override
    public void close() {
        CloseHelper.closeAll(servers);
        CloseHelper.closeAll(planes.reversed());
    }

    private static int freeUdpPort() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(HOST), 0))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
