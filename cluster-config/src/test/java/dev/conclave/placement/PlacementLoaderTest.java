package dev.conclave.placement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementLoaderTest {

    private static final String SOURCE = "test.conf";

    /** Three nodes, each key on its own line so that tests can change one by text replacement. */
    private static final String THREE_NODES = """
            conclave {
              cluster-name = "test-cluster"
              seed-nodes = [head, experts-a]
              data-plane {
                embedded-driver = false
                driver-directory = "/dev/shm/conclave"
                term-length = 16 MiB
                mtu = 1408
                send-timeout = 500 ms
                step-timeout = 3 s
              }
              nodes {
                head {
                  host = "127.0.0.1"
                  pekko-port = 25520
                  roles = [orchestrator, attention]
                  device = "cpu:0-1"
                  attention-layers = "0-3,mtp"
                  aeron-endpoint = "127.0.0.1:40120"
                }
                experts-a {
                  host = "127.0.0.1"
                  pekko-port = 25521
                  roles = [experts]
                  device = "cuda:1"
                  experts = [
                    { layers = "1-3", experts = "0-3" }
                    { layers = "mtp", experts = "1/2" }
                  ]
                  aeron-endpoint = "127.0.0.1:40121"
                }
                experts-b {
                  host = "127.0.0.1"
                  pekko-port = 25522
                  roles = [experts]
                  experts = [ { layers = "all", experts = "4-7" } ]
                  aeron-endpoint = "127.0.0.1:40122"
                }
              }
            }
            """;

    private static Placement parse(String hocon) {
        return PlacementLoader.parse(hocon, SOURCE);
    }

    private static String failure(String hocon) {
        return assertThrows(PlacementException.class, () -> parse(hocon)).getMessage();
    }

    private static void assertContains(String message, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        }
    }

    @Test
    void readsEveryKey() {
        Placement p = parse(THREE_NODES);
        assertEquals("test-cluster", p.clusterName());
        assertEquals(SOURCE, p.source());
        assertEquals(List.of("head", "experts-a", "experts-b"), p.nodeNames(), "file order");
        assertEquals(List.of("head", "experts-a"), p.seedNodes());
        assertEquals(new DataPlaneSpec(false, "/dev/shm/conclave", 16 << 20, 1408, Duration.ofMillis(500),
                Duration.ofSeconds(3)), p.dataPlane());

        NodeSpec head = p.node("head");
        assertEquals(new NodeSpec("head", "127.0.0.1", 25520, Set.of(Role.ORCHESTRATOR, Role.ATTENTION),
                Device.parse("cpu:0-1"), LayerSet.parse("0-3,mtp"), List.of(), new Endpoint("127.0.0.1", 40120)), head);
        assertEquals(head, p.orchestrator());

        NodeSpec a = p.node("experts-a");
        assertEquals(Set.of(Role.EXPERTS), a.roles());
        assertEquals(new Device(Device.Kind.CUDA, IntSet.of(1)), a.device());
        assertEquals(LayerSet.none(), a.attentionLayers());
        assertEquals(List.of(
                new ExpertAssignment(LayerSet.parse("1-3"), ExpertSet.parse("0-3")),
                new ExpertAssignment(LayerSet.parse("mtp"), ExpertSet.parse("1/2"))), a.experts());
        assertEquals(Device.cpu(), p.node("experts-b").device(), "cpu is the default device");
    }

    @Test
    void optionalKeysTakeTheirDefaults() {
        Placement p = parse("""
                conclave.nodes.solo { host = localhost, pekko-port = 2552, roles = [orchestrator, attention, experts] }
                """);
        assertEquals("conclave", p.clusterName());
        assertEquals(List.of("solo"), p.seedNodes(), "the orchestrator's node seeds by default");
        assertEquals(DataPlaneSpec.defaults(), p.dataPlane());
        assertEquals(new DataPlaneSpec(true, null, 4 << 20, 8 << 10, Duration.ofSeconds(2), Duration.ofSeconds(10)),
                DataPlaneSpec.defaults());
        NodeSpec solo = p.node("solo");
        assertEquals(LayerSet.none(), solo.attentionLayers());
        assertEquals(List.of(), solo.experts());
        assertNull(solo.aeronEndpoint(), "a single node needs no data plane between nodes");
    }

    @Test
    void includesAndSubstitutionsWorkAsInAnyHoconFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("nodes.conf"), """
                conclave.nodes.head {
                  host = ${hosts.head}
                  pekko-port = 25520
                  pekko-port = ${?CONCLAVE_PLACEMENT_TEST_UNSET_PORT}
                  roles = [orchestrator, attention, experts]
                }
                """);
        Path main = dir.resolve("main.conf");
        Files.writeString(main, """
                hosts.head = "127.0.0.1"
                include "nodes.conf"
                conclave.data-plane.driver-directory = ${PATH}
                """);
        Placement p = PlacementLoader.load(main);
        assertEquals("127.0.0.1", p.node("head").host(), "a substitution from another root of the file");
        assertEquals(25520, p.node("head").pekkoPort(), "an unset optional substitution keeps the earlier value");
        assertEquals(System.getenv("PATH"), p.dataPlane().driverDirectory(), "environment variables substitute");
        assertEquals(main.toString(), p.source());
    }

    @Test
    void errorsInAnIncludedFileNameThatFile(@TempDir Path dir) throws IOException {
        Path nodes = dir.resolve("nodes.conf");
        Files.writeString(nodes, """
                conclave.nodes.head {
                  host = "127.0.0.1"
                  pekko-port = -1
                  roles = [orchestrator]
                }
                """);
        Path main = dir.resolve("main.conf");
        Files.writeString(main, "include \"nodes.conf\"\n");
        assertContains(assertThrows(PlacementException.class, () -> PlacementLoader.load(main)).getMessage(),
                nodes + ":3: node 'head', key 'pekko-port' is -1");
    }

    @Test
    void aMissingSubstitutionIsReported() {
        assertContains(failure("conclave.cluster-name = ${CONCLAVE_PLACEMENT_TEST_UNSET}"),
                "test.conf: not a valid HOCON placement", "CONCLAVE_PLACEMENT_TEST_UNSET");
    }

    @Test
    void badSyntaxAndMissingFilesAreReported(@TempDir Path dir) {
        assertContains(failure("conclave { nodes { "), "test.conf: not a valid HOCON placement");
        Path absent = dir.resolve("absent.conf");
        assertContains(assertThrows(PlacementException.class, () -> PlacementLoader.load(absent)).getMessage(),
                absent + ": file not found");
    }

    @Test
    void errorsGiveTheLineOfTheKey() {
        String message = failure(THREE_NODES.replace("pekko-port = 25521", "pekko-port = 70000"));
        assertTrue(message.startsWith("test.conf:23: node 'experts-a', key 'pekko-port' is 70000, out of range 1-65535"),
                message);
    }

    /**
     * Each case appends one HOCON line to {@link #THREE_NODES}; a later value overrides an earlier one (and
     * {@code null} unsets it), which is how HOCON files are layered anyway.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            // what | appended line | expected message fragment
            "unknown role | conclave.nodes.experts-a.roles = [experts, atention]"
                    + " | node 'experts-a', key 'roles' is 'atention': unknown role 'atention'; roles are orchestrator, attention, experts",
            "no roles | conclave.nodes.head.roles = [] | node 'head', key 'roles' is empty",
            "roles not a list | conclave.nodes.head.roles = orchestrator | node 'head', key 'roles' must be a list",
            "bad layer range | conclave.nodes.head.attention-layers = \"3-0\""
                    + " | node 'head', key 'attention-layers' is '3-0': range '3-0' ends before it starts",
            "bad layer name | conclave.nodes.head.attention-layers = \"0-3,nextn\""
                    + " | node 'head', key 'attention-layers' is '0-3,nextn': 'nextn' is not an id",
            "bad expert range | conclave.nodes.experts-a.experts = [ { layers = 1, experts = \"0-three\" } ]"
                    + " | node 'experts-a', key 'experts[0].experts' is '0-three'",
            "bad share | conclave.nodes.experts-a.experts = [ { layers = 1, experts = 1 }, { layers = mtp, experts = \"3/2\" } ]"
                    + " | node 'experts-a', key 'experts[1].experts' is '3/2': share 3/2 is not k/n",
            "bad device | conclave.nodes.experts-a.device = \"tpu:1\" | node 'experts-a', key 'device' is 'tpu:1': 'tpu:1' is not a device",
            "port too large | conclave.nodes.head.pekko-port = 65536 | node 'head', key 'pekko-port' is 65536, out of range 1-65535",
            "port zero | conclave.nodes.head.pekko-port = 0 | node 'head', key 'pekko-port' is 0, out of range 1-65535",
            "port not a number | conclave.nodes.head.pekko-port = high | node 'head', key 'pekko-port' must be an integer, is \"high\"",
            "port not whole | conclave.nodes.head.pekko-port = 25520.5 | node 'head', key 'pekko-port' must be an integer, is 25520.5",
            "aeron port out of range | conclave.nodes.experts-b.aeron-endpoint = \"127.0.0.1:99999\""
                    + " | node 'experts-b', key 'aeron-endpoint' is '127.0.0.1:99999': port 99999 is out of range 1-65535",
            "aeron endpoint without port | conclave.nodes.experts-b.aeron-endpoint = \"127.0.0.1\""
                    + " | node 'experts-b', key 'aeron-endpoint' is '127.0.0.1': '127.0.0.1' is not host:port",
            "duplicate pekko ports | conclave.nodes.experts-b.pekko-port = 25520"
                    + " | node 'experts-b', key 'pekko-port' uses 127.0.0.1:25520, as node 'head' pekko-port does; every listener needs its own port",
            "duplicate aeron ports | conclave.nodes.experts-b.aeron-endpoint = \"127.0.0.1:40121\""
                    + " | node 'experts-b', key 'aeron-endpoint' uses 127.0.0.1:40121, as node 'experts-a' aeron-endpoint does",
            "aeron on a pekko port | conclave.nodes.experts-b.aeron-endpoint = \"127.0.0.1:25521\""
                    + " | node 'experts-b', key 'aeron-endpoint' uses 127.0.0.1:25521, as node 'experts-a' pekko-port does",
            "host with a port | conclave.nodes.head.host = \"127.0.0.1:25520\""
                    + " | node 'head', key 'host' is '127.0.0.1:25520', not a literal IP or a hostname: it holds ':' but is not an IPv6 address",
            "host with a scheme | conclave.nodes.head.host = \"http://head\""
                    + " | node 'head', key 'host' is 'http://head', not a literal IP or a hostname",
            "host a bad IPv4 | conclave.nodes.head.host = \"127.0.0.256\""
                    + " | node 'head', key 'host' is '127.0.0.256', not a literal IP or a hostname: it is not an IPv4 address",
            "seed not defined | conclave.seed-nodes = [head, expert-a]"
                    + " | key 'conclave.seed-nodes' names node 'expert-a', which is not defined under conclave.nodes (nodes: experts-a, experts-b, head)",
            "no seeds | conclave.seed-nodes = [] | key 'conclave.seed-nodes' is empty",
            "no orchestrator | conclave.nodes.head.roles = [attention] | key 'conclave.nodes' has no node with role orchestrator",
            "two orchestrators | conclave.nodes.experts-b.roles = [experts, orchestrator]"
                    + " | key 'conclave.nodes' has 2 nodes with role orchestrator (head, experts-b); exactly one",
            "missing host | conclave.nodes.head.host = null | node 'head', key 'host' is required but absent",
            "missing port | conclave.nodes.experts-a.pekko-port = null | node 'experts-a', key 'pekko-port' is required but absent",
            "missing roles | conclave.nodes.head.roles = null | node 'head', key 'roles' is required but absent",
            "missing aeron endpoint | conclave.nodes.experts-b.aeron-endpoint = null"
                    + " | node 'experts-b', key 'aeron-endpoint' is required but absent; with more than one node",
            "missing assignment layers | conclave.nodes.experts-a.experts = [ { layers = 1, experts = 1 }, { experts = \"1/2\" } ]"
                    + " | node 'experts-a', key 'experts[1].layers' is required but absent",
            "assignment not an object | conclave.nodes.experts-b.experts = [ all ] | node 'experts-b', key 'experts' must hold objects",
            "unknown node key | conclave.nodes.head.atention-layers = all"
                    + " | node 'head', key 'atention-layers' is not a known key; known are aeron-endpoint, attention-layers",
            "unknown assignment key | conclave.nodes.experts-b.experts = [ { layers = all, experts = all, replicas = 2 } ]"
                    + " | node 'experts-b', key 'experts[0].replicas' is not a known key; known are experts, layers",
            "unknown root key | conclave.clustername = x | key 'conclave.clustername' is not a known key",
            "unknown data-plane key | conclave.data-plane.mtu-bytes = 1408 | key 'conclave.data-plane.mtu-bytes' is not a known key",
            "bad cluster name | conclave.cluster-name = \"test cluster\""
                    + " | key 'conclave.cluster-name' is 'test cluster'; names are letters and digits",
            "bad node name | conclave.nodes._x = {} | key 'conclave.nodes' defines node '_x'; names are letters and digits",
            "node not an object | conclave.nodes.experts-c = 3 | key 'conclave.nodes.experts-c' must be an object",
            "no nodes | conclave.nodes = null, conclave.nodes = {} | key 'conclave.nodes' defines no nodes",
            "term not a power of two | conclave.data-plane.term-length = 3 MiB"
                    + " | key 'conclave.data-plane.term-length' is 3145728 bytes; Aeron needs a power of two from 64 KiB to 1 GiB",
            "term too small | conclave.data-plane.term-length = 32 KiB | key 'conclave.data-plane.term-length' is 32768 bytes",
            "term not a size | conclave.data-plane.term-length = large"
                    + " | key 'conclave.data-plane.term-length' must be a size such as 4 MiB, is \"large\"",
            "mtu unaligned | conclave.data-plane.mtu = 1500"
                    + " | key 'conclave.data-plane.mtu' is 1500 bytes; Aeron needs a multiple of 32 from 64 to 65504 bytes",
            "mtu too large | conclave.data-plane.mtu = 64 KiB | key 'conclave.data-plane.mtu' is 65536 bytes",
            "timeout zero | conclave.data-plane.send-timeout = 0 s | key 'conclave.data-plane.send-timeout' is PT0S; it must be positive",
            "timeout not a duration | conclave.data-plane.step-timeout = soon"
                    + " | key 'conclave.data-plane.step-timeout' must be a duration such as 2 s or 500 ms",
            "step not after send | conclave.data-plane.step-timeout = 500 ms"
                    + " | key 'conclave.data-plane.step-timeout' is PT0.5S but send-timeout is PT0.5S; a step must outlast one send",
            "driver flag not boolean | conclave.data-plane.embedded-driver = 3"
                    + " | key 'conclave.data-plane.embedded-driver' must be true or false, is 3",
    })
    void errorsNameTheFileTheNodeAndTheKey(String what, String appended, String expected) {
        String message = failure(THREE_NODES + appended + "\n");
        assertTrue(message.startsWith(SOURCE + ":"), what + ": " + message);
        assertContains(message, expected);
    }

    @Test
    void theRootMustBePresent() {
        assertContains(failure("pekko.loglevel = INFO"), "test.conf: key 'conclave' is required but absent");
        assertContains(failure("conclave = 3"), "test.conf:1: key 'conclave' must be an object");
        assertContains(failure("conclave.cluster-name = x"), "test.conf:1: key 'conclave.nodes' is required but absent");
    }

    @Test
    void otherRootsAreLeftAlone() {
        Placement p = parse(THREE_NODES + "\npekko.remote.artery.canonical.port = 1\n");
        assertEquals(3, p.nodes().size());
    }

    @Test
    void portsMayRepeatOnDifferentHosts() {
        Placement p = parse(THREE_NODES + """
                conclave.nodes.experts-a { host = "10.0.0.2", pekko-port = 25520, aeron-endpoint = "10.0.0.2:40120" }
                """);
        assertEquals(25520, p.node("experts-a").pekkoPort());
        assertEquals(new Endpoint("10.0.0.2", 40120), p.node("experts-a").aeronEndpoint());
    }

    @Test
    void theReadmeExampleParses() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("```hocon\n") + "```hocon\n".length();
        Placement p = PlacementLoader.parse(readme.substring(start, readme.indexOf("```", start)), "README.md");
        assertEquals(List.of("head", "experts-a"), p.nodeNames());
        assertEquals(DataPlaneSpec.defaults(), new DataPlaneSpec(true, null, p.dataPlane().termLengthBytes(),
                p.dataPlane().mtuBytes(), p.dataPlane().sendTimeout(), p.dataPlane().stepTimeout()), "the defaults shown");
    }

    @Test
    void unknownBundledNamesListTheBundledOnes() {
        assertContains(assertThrows(PlacementException.class, () -> PlacementLoader.bundled("two-node")).getMessage(),
                "no bundled placement 'two-node'; bundled are single-node, local-3-node, local-3-node-ipc");
    }
}
