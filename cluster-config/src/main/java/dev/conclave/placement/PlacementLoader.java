package dev.conclave.placement;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Reads a placement from HOCON, Pekko's own config format, so {@code include} and {@code ${ENV}}
 * substitution work as in any Pekko config. Everything lives under a {@code conclave} root (the schema is in
 * cluster-config/README.md); other roots, such as Pekko overrides, are left to whoever reads them. This
 * checks what the file alone decides: syntax, types, names, addresses, the single orchestrator and the seed
 * nodes. Whether the layers and experts fit a model is {@link PlacementValidator}'s job.
 */
public final class PlacementLoader {

    /** The placements shipped with Conclave, by {@link #bundled} name. */
    public static final List<String> BUNDLED = List.of("single-node", "local-3-node", "local-3-node-ipc");

    private static final String ROOT = "conclave";
    private static final String DEFAULT_CLUSTER_NAME = "conclave";

    /** Pekko's rule for actor system names, which node names follow too since they become actor and role names. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
    private static final String NAME_RULE = "names are letters and digits, then also '-' and '_'";

    private static final Set<String> ROOT_KEYS = Set.of("cluster-name", "seed-nodes", "data-plane", "nodes");
    private static final Set<String> DATA_PLANE_KEYS = Set.of("embedded-driver", "driver-directory", "term-length",
            "mtu", "send-timeout", "step-timeout");
    private static final Set<String> NODE_KEYS = Set.of("host", "pekko-port", "roles", "device", "attention-layers",
            "experts", "aeron-endpoint");
    private static final Set<String> ASSIGNMENT_KEYS = Set.of("layers", "experts");

    private PlacementLoader() {
    }

    public static Placement load(Path hoconFile) {
        if (!Files.isRegularFile(hoconFile)) {
            throw new PlacementException(hoconFile + ": file not found");
        }
        return read(() -> ConfigFactory.parseFile(hoconFile.toFile(), options()), hoconFile.toString());
    }

    /** Parses placement text; {@code source} (usually a file name) begins every error message. */
    public static Placement parse(String hocon, String source) {
        return read(() -> ConfigFactory.parseString(hocon, options().setOriginDescription(source)), source);
    }

    /** A placement shipped on the classpath: one of {@link #BUNDLED}. */
    public static Placement bundled(String name) {
        String resource = name + ".conf";
        if (!BUNDLED.contains(name) || PlacementLoader.class.getResource(resource) == null) {
            throw new PlacementException("no bundled placement '" + name + "'; bundled are " + String.join(", ", BUNDLED));
        }
        return read(() -> ConfigFactory.parseResources(PlacementLoader.class, resource, options()), resource + " (bundled)");
    }

    private static ConfigParseOptions options() {
        return ConfigParseOptions.defaults().setAllowMissing(false);
    }

    private static Placement read(Supplier<Config> parser, String source) {
        Config config;
        try {
            config = parser.get().resolve();
        } catch (ConfigException e) {
            throw new PlacementException(source + ": not a valid HOCON placement: " + e.getMessage(), e);
        }
        if (!config.hasPath(ROOT)) {
            throw new PlacementException(source + ": key '" + ROOT + "' is required but absent; a placement lives under a "
                    + ROOT + " { } root");
        }
        Section root = Section.top(config, ROOT, source);
        root.allowOnly(ROOT_KEYS);

        String clusterName = root.has("cluster-name") ? root.string("cluster-name") : DEFAULT_CLUSTER_NAME;
        if (!NAME.matcher(clusterName).matches()) {
            throw root.error("cluster-name", "is '" + clusterName + "'; " + NAME_RULE);
        }
        DataPlaneSpec dataPlane = root.has("data-plane") ? dataPlane(root.section("data-plane")) : DataPlaneSpec.defaults();
        List<NodeSpec> nodes = nodes(root);
        checkOneOrchestrator(root, nodes);
        List<String> seeds = seedNodes(root, nodes);
        return new Placement(clusterName, nodes, seeds, dataPlane, source);
    }

    private static DataPlaneSpec dataPlane(Section s) {
        s.allowOnly(DATA_PLANE_KEYS);
        DataPlaneSpec d = DataPlaneSpec.defaults();
        boolean embedded = s.has("embedded-driver") ? s.bool("embedded-driver") : d.embeddedDriver();
        String directory = s.has("driver-directory") ? s.string("driver-directory") : d.driverDirectory();
        long term = s.has("term-length") ? s.bytes("term-length") : d.termLengthBytes();
        if (term < DataPlaneSpec.MIN_TERM_LENGTH || term > DataPlaneSpec.MAX_TERM_LENGTH || Long.bitCount(term) != 1) {
            throw s.error("term-length", "is " + term + " bytes; Aeron needs a power of two from 64 KiB to 1 GiB");
        }
        long mtu = s.has("mtu") ? s.bytes("mtu") : d.mtuBytes();
        if (mtu < DataPlaneSpec.MIN_MTU || mtu > DataPlaneSpec.MAX_MTU || mtu % DataPlaneSpec.FRAME_ALIGNMENT != 0) {
            throw s.error("mtu", "is " + mtu + " bytes; Aeron needs a multiple of 32 from 64 to 65504 bytes");
        }
        Duration send = s.has("send-timeout") ? s.positiveDuration("send-timeout") : d.sendTimeout();
        Duration step = s.has("step-timeout") ? s.positiveDuration("step-timeout") : d.stepTimeout();
        if (send.compareTo(step) >= 0) {
            throw s.error("step-timeout", "is " + step + " but send-timeout is " + send
                    + "; a step must outlast one send, so a stuck send fails with its own message first");
        }
        return new DataPlaneSpec(embedded, directory, (int) term, (int) mtu, send, step);
    }

    private static List<NodeSpec> nodes(Section root) {
        ConfigObject nodesObject = root.object("nodes");
        if (nodesObject.isEmpty()) {
            throw root.error("nodes", "defines no nodes");
        }
        // File order, so listings follow the file; names break ties between included files.
        List<String> names = new ArrayList<>(nodesObject.keySet());
        names.sort(Comparator.comparingInt((String n) -> nodesObject.get(n).origin().lineNumber())
                .thenComparing(Comparator.naturalOrder()));
        boolean multiNode = names.size() > 1;
        List<NodeSpec> nodes = new ArrayList<>();
        Map<String, String> listeners = new HashMap<>();
        for (String name : names) {
            if (!NAME.matcher(name).matches()) {
                throw root.error("nodes", "defines node '" + name + "'; " + NAME_RULE);
            }
            ConfigValue value = nodesObject.get(name);
            if (value.valueType() != ConfigValueType.OBJECT) {
                throw root.error("nodes." + name, "must be an object { host = ..., pekko-port = ..., ... }, is "
                        + value.valueType().name().toLowerCase(Locale.ROOT));
            }
            Section section = Section.of((ConfigObject) value, root.source(), "node '" + name + "', ", "");
            NodeSpec node = node(section, name, multiNode);
            claim(section, name, "pekko-port", new Endpoint(node.host(), node.pekkoPort()), listeners);
            if (node.aeronEndpoint() != null) {
                claim(section, name, "aeron-endpoint", node.aeronEndpoint(), listeners);
            }
            nodes.add(node);
        }
        return nodes;
    }

    private static NodeSpec node(Section s, String name, boolean multiNode) {
        s.allowOnly(NODE_KEYS);
        String host = s.string("host");
        String hostProblem = Endpoint.hostProblem(host);
        if (hostProblem != null) {
            throw s.error("host", "is '" + host + "', not a literal IP or a hostname: " + hostProblem);
        }
        int pekkoPort = s.integer("pekko-port");
        if (pekkoPort < 1 || pekkoPort > 65535) {
            throw s.error("pekko-port", "is " + pekkoPort + ", out of range 1-65535");
        }
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String role : s.stringList("roles")) {
            roles.add(s.parse("roles", role, Role::fromConfigName));
        }
        if (roles.isEmpty()) {
            throw s.error("roles", "is empty; a node needs at least one of orchestrator, attention, experts");
        }
        Device device = s.has("device") ? s.parse("device", s.string("device"), Device::parse) : Device.cpu();
        LayerSet attention = s.has("attention-layers")
                ? s.parse("attention-layers", s.string("attention-layers"), LayerSet::parse) : LayerSet.none();
        List<ExpertAssignment> experts = new ArrayList<>();
        if (s.has("experts")) {
            for (Section entry : s.objectList("experts")) {
                experts.add(assignment(entry));
            }
        }
        Endpoint aeron;
        if (s.has("aeron-endpoint")) {
            aeron = s.parse("aeron-endpoint", s.string("aeron-endpoint"), Endpoint::parse);
        } else if (multiNode) {
            throw s.error("aeron-endpoint", "is required but absent; with more than one node, every node"
                    + " exchanges expert rows over Aeron");
        } else {
            aeron = null;
        }
        return new NodeSpec(name, host, pekkoPort, roles, device, attention, experts, aeron);
    }

    private static ExpertAssignment assignment(Section s) {
        s.allowOnly(ASSIGNMENT_KEYS);
        return new ExpertAssignment(
                s.parse("layers", s.string("layers"), LayerSet::parse),
                s.parse("experts", s.string("experts"), ExpertSet::parse));
    }

    private static void checkOneOrchestrator(Section root, List<NodeSpec> nodes) {
        List<String> orchestrators = nodes.stream().filter(n -> n.hasRole(Role.ORCHESTRATOR)).map(NodeSpec::name).toList();
        if (orchestrators.isEmpty()) {
            throw root.error("nodes", "has no node with role orchestrator; exactly one node runs the step loop");
        }
        if (orchestrators.size() > 1) {
            throw root.error("nodes", "has " + orchestrators.size() + " nodes with role orchestrator ("
                    + String.join(", ", orchestrators) + "); exactly one node runs the step loop");
        }
    }

    /**
     * Records that {@code key} of a node listens on {@code endpoint}; two listeners on one host and port
     * would fail to bind, and Pekko's TCP and Aeron's UDP ports are kept apart too so that one port means one
     * thing in firewall rules and logs.
     */
    private static void claim(Section node, String name, String key, Endpoint endpoint, Map<String, String> listeners) {
        String owner = "node '" + name + "' " + key;
        String previous = listeners.putIfAbsent(endpoint.toString().toLowerCase(Locale.ROOT), owner);
        if (previous != null) {
            throw node.error(key, "uses " + endpoint + ", as " + previous + " does; every listener needs its own port");
        }
    }

    /** The seed nodes by name; by default the orchestrator's node, the one node every placement has. */
    private static List<String> seedNodes(Section root, List<NodeSpec> nodes) {
        if (!root.has("seed-nodes")) {
            return List.of(nodes.stream().filter(n -> n.hasRole(Role.ORCHESTRATOR)).findFirst().orElseThrow().name());
        }
        List<String> seeds = root.stringList("seed-nodes");
        if (seeds.isEmpty()) {
            throw root.error("seed-nodes", "is empty; a cluster needs at least one seed node to form");
        }
        Set<String> defined = new TreeSet<>();
        nodes.forEach(n -> defined.add(n.name()));
        for (String seed : seeds) {
            if (!defined.contains(seed)) {
                throw root.error("seed-nodes", "names node '" + seed + "', which is not defined under "
                        + ROOT + ".nodes (nodes: " + String.join(", ", defined) + ")");
            }
        }
        return seeds;
    }

    /**
     * One HOCON object and where it is, so that every error names the file, line, node and key.
     *
     * @param config the object
     * @param origin where the object itself starts, for errors about absent keys
     * @param source the placement's source, used when HOCON knows no file
     * @param where  {@code "node 'head', "} or empty
     * @param prefix the key path to this object, for messages: {@code "experts[0]."}
     */
    private record Section(Config config, ConfigOrigin origin, String source, String where, String prefix) {

        static Section top(Config file, String path, String source) {
            ConfigValue value = file.getValue(path);
            if (value.valueType() != ConfigValueType.OBJECT) {
                throw new PlacementException(location(value.origin(), source) + ": key '" + path + "' must be an object");
            }
            return of((ConfigObject) value, source, "", path + ".");
        }

        static Section of(ConfigObject object, String source, String where, String prefix) {
            return new Section(object.toConfig(), object.origin(), source, where, prefix);
        }

        PlacementException error(String key, String problem) {
            ConfigOrigin at = has(key) ? config.root().get(key).origin() : origin;
            return new PlacementException(location(at, source) + ": " + where + "key '" + prefix + key + "' " + problem);
        }

        private static String location(ConfigOrigin origin, String source) {
            String file = origin.filename() != null ? origin.filename()
                    : origin.resource() != null ? origin.resource() : source;
            return origin.lineNumber() > 0 ? file + ":" + origin.lineNumber() : file;
        }

        /** Unknown keys are refused: a misspelt key would otherwise leave its setting silently at the default. */
        void allowOnly(Set<String> known) {
            for (String key : config.root().keySet()) {
                if (!known.contains(key)) {
                    throw error(key, "is not a known key; known are " + String.join(", ", new TreeSet<>(known)));
                }
            }
        }

        /** Present and not null; HOCON's {@code null} unsets a key, as it does for Pekko. */
        boolean has(String key) {
            ConfigValue v = config.root().get(key);
            return v != null && v.valueType() != ConfigValueType.NULL;
        }

        ConfigValue value(String key) {
            if (!has(key)) {
                throw error(key, "is required but absent");
            }
            return config.root().get(key);
        }

        String string(String key) {
            ConfigValue v = value(key);
            return switch (v.valueType()) {
                case STRING, NUMBER, BOOLEAN -> v.unwrapped().toString();
                default -> throw error(key, "must be a string, is " + describe(v));
            };
        }

        int integer(String key) {
            ConfigValue v = value(key);
            String text = v.unwrapped().toString().strip();
            boolean integral = (v.valueType() == ConfigValueType.NUMBER || v.valueType() == ConfigValueType.STRING)
                    && text.matches("-?[0-9]{1,10}");
            long value = integral ? Long.parseLong(text) : Long.MIN_VALUE;
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw error(key, "must be an integer, is " + describe(v));
            }
            return (int) value;
        }

        boolean bool(String key) {
            ConfigValue v = value(key);
            try {
                return config.getBoolean(key);
            } catch (ConfigException e) {
                throw error(key, "must be true or false, is " + describe(v));
            }
        }

        long bytes(String key) {
            ConfigValue v = value(key);
            try {
                return config.getBytes(key);
            } catch (ConfigException e) {
                throw error(key, "must be a size such as 4 MiB, is " + describe(v));
            }
        }

        Duration positiveDuration(String key) {
            ConfigValue v = value(key);
            Duration d;
            try {
                d = config.getDuration(key);
            } catch (ConfigException e) {
                throw error(key, "must be a duration such as 2 s or 500 ms, is " + describe(v));
            }
            if (d.isNegative() || d.isZero()) {
                throw error(key, "is " + d + "; it must be positive");
            }
            return d;
        }

        List<String> stringList(String key) {
            ConfigValue v = value(key);
            if (v.valueType() != ConfigValueType.LIST) {
                throw error(key, "must be a list such as [a, b], is " + describe(v));
            }
            List<String> strings = new ArrayList<>();
            for (ConfigValue item : config.getList(key)) {
                if (item.valueType() != ConfigValueType.STRING) {
                    throw error(key, "must hold strings, holds " + describe(item));
                }
                strings.add((String) item.unwrapped());
            }
            return strings;
        }

        ConfigObject object(String key) {
            ConfigValue v = value(key);
            if (v.valueType() != ConfigValueType.OBJECT) {
                throw error(key, "must be an object { ... }, is " + describe(v));
            }
            return (ConfigObject) v;
        }

        Section section(String key) {
            return of(object(key), source, where, prefix + key + ".");
        }

        List<Section> objectList(String key) {
            ConfigValue v = value(key);
            if (v.valueType() != ConfigValueType.LIST) {
                throw error(key, "must be a list of objects [ { layers = ..., experts = ... } ], is " + describe(v));
            }
            List<Section> sections = new ArrayList<>();
            int i = 0;
            for (ConfigValue item : config.getList(key)) {
                if (item.valueType() != ConfigValueType.OBJECT) {
                    throw error(key, "must hold objects { layers = ..., experts = ... }, holds " + describe(item));
                }
                sections.add(of((ConfigObject) item, source, where, prefix + key + "[" + i++ + "]."));
            }
            return sections;
        }

        /** Runs a text parser of this package, turning its complaint into an error at this key. */
        <T> T parse(String key, String text, Function<String, T> parser) {
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                throw error(key, "is '" + text + "': " + e.getMessage());
            }
        }

        private static String describe(ConfigValue v) {
            return v.render(ConfigRenderOptions.concise());
        }
    }
}
