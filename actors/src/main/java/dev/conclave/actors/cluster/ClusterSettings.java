package dev.conclave.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One node's place in the Pekko cluster, and the Pekko {@link Config} that puts it there: cluster
 * provider, Artery over TCP bound to exactly the configured address, seed nodes, roles, the split-brain
 * resolver, Kryo for control messages. The settings every node shares live in {@code cluster.conf} beside
 * this class, with the reasons for their values.
 *
 * @param systemName    the ActorSystem's name, the same on every node of a cluster
 * @param canonicalHost the host or IP other nodes reach this one at
 * @param port          the Artery TCP port, for the canonical address and the listening socket alike
 * @param bindHost      the local address the listening socket binds to; null means {@code canonicalHost}.
 *                      Wildcards (0.0.0.0, ::) are refused: a node listens only where it is configured to
 * @param seedNodes     "host:port" of the seed nodes; a node listed first in its own seeds starts the cluster
 * @param roles         this node's cluster roles
 */
public record ClusterSettings(String systemName, String canonicalHost, int port, String bindHost,
                              List<String> seedNodes, List<String> roles) {

    private static final Config SHARED = ConfigFactory.parseResources(ClusterSettings.class, "cluster.conf",
            ConfigParseOptions.defaults().setAllowMissing(false));

    public ClusterSettings {
        if (systemName == null || systemName.isBlank()) {
            throw new IllegalArgumentException("the ActorSystem name is blank");
        }
        requireConcreteHost("canonical host", canonicalHost);
        bindHost = bindHost == null ? canonicalHost : bindHost;
        requireConcreteHost("bind host", bindHost);
        requirePort(port, "port of " + canonicalHost);
        seedNodes = List.copyOf(seedNodes);
        seedNodes.forEach(ClusterSettings::requireHostPort);
        roles = List.copyOf(roles);
    }

    /** The node's Pekko configuration. */
    public Config toConfig() {
        return toConfig(ConfigFactory.empty());
    }

    /**
     * The node's Pekko configuration with {@code overrides} taking precedence over the shared settings
     * (failure-detector tuning, a test's serializer). The node's addresses, seeds and roles come from these
     * settings alone, so no override can widen what the node binds to.
     */
    public Config toConfig(Config overrides) {
        Map<String, Object> node = new HashMap<>();
        node.put("pekko.remote.artery.canonical.hostname", canonicalHost);
        node.put("pekko.remote.artery.canonical.port", port);
        node.put("pekko.remote.artery.bind.hostname", bindHost);
        node.put("pekko.remote.artery.bind.port", port);
        node.put("pekko.cluster.seed-nodes", seedNodes.stream()
                .map(hostPort -> "pekko://" + systemName + "@" + hostPort).toList());
        node.put("pekko.cluster.roles", roles);
        return ConfigFactory.parseMap(node, "ClusterSettings of " + systemName + "@" + canonicalHost + ":" + port)
                .withFallback(overrides)
                .withFallback(SHARED);
    }

    private static void requireConcreteHost(String what, String host) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the " + what + " is blank");
        }
        if (isWildcard(host)) {
            throw new IllegalArgumentException("the " + what + " " + host + " is a wildcard address; a node binds"
                    + " to and advertises one concrete address");
        }
    }

    private static boolean isWildcard(String host) {
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            return InetAddress.ofLiteral(literal).isAnyLocalAddress();
        } catch (IllegalArgumentException hostName) {
            return false; // a host name, which Pekko resolves; no lookup here
        }
    }

    private static void requireHostPort(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("seed node " + hostPort + " is not host:port");
        }
        requireConcreteHost("seed host", hostPort.substring(0, colon));
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seed node " + hostPort + " is not host:port", e);
        }
        requirePort(port, "port of seed node " + hostPort);
        if (port == 0) {
            throw new IllegalArgumentException("seed node " + hostPort + " has no fixed port");
        }
    }

    /** 0 is allowed for this node: Artery then listens on a free port and advertises that one. */
    private static void requirePort(int port, String what) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("the " + what + " is " + port + ", outside 0..65535");
        }
    }
}
