package dev.conclave.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Pekko configuration a node's settings produce, and the settings refused. */
class ClusterSettingsTest {

    private static ClusterSettings node(String bindHost, List<String> seeds) {
        return new ClusterSettings("conclave", "127.0.0.1", 25520, bindHost, seeds, List.of("expert"));
    }

    @Test
    void nodeAddressesSeedsAndRoles() {
        Config config = node(null, List.of("127.0.0.1:25520", "10.0.0.2:25521")).toConfig();

        assertEquals("cluster", config.getString("pekko.actor.provider"));
        assertEquals("tcp", config.getString("pekko.remote.artery.transport"));
        assertEquals("127.0.0.1", config.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals(25520, config.getInt("pekko.remote.artery.canonical.port"));
        assertEquals("127.0.0.1", config.getString("pekko.remote.artery.bind.hostname"), "bind defaults to canonical");
        assertEquals(25520, config.getInt("pekko.remote.artery.bind.port"));
        assertEquals(List.of("pekko://conclave@127.0.0.1:25520", "pekko://conclave@10.0.0.2:25521"),
                config.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(List.of("expert"), config.getStringList("pekko.cluster.roles"));
    }

    @Test
    void sharedSettings() {
        Config config = node(null, List.of()).toConfig();

        assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
                config.getString("pekko.cluster.downing-provider-class"));
        assertEquals("keep-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
        assertFalse(config.getBoolean("pekko.actor.allow-java-serialization"));
        assertEquals(KryoSerializer.class.getName(), config.getString("pekko.actor.serializers.kryo"));
        assertEquals("kryo",
                config.getString("pekko.actor.serialization-bindings.\"dev.conclave.actors.ControlMessage\""));
        assertFalse(config.getBoolean("pekko.coordinated-shutdown.exit-jvm"));
        assertEquals(List.of("org.apache.pekko.event.slf4j.Slf4jLogger"), config.getStringList("pekko.loggers"));
        assertTrue(config.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause").toMillis() <= 2000);
    }

    @Test
    void explicitBindHost() {
        Config config = new ClusterSettings("conclave", "node1.example", 25520, "10.0.0.1", List.of(), List.of())
                .toConfig();

        assertEquals("node1.example", config.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals("10.0.0.1", config.getString("pekko.remote.artery.bind.hostname"));
    }

    @Test
    void overridesTuneSharedSettingsButNeverAddresses() {
        Config overrides = ConfigFactory.parseString("""
                pekko.remote.artery.bind.hostname = "0.0.0.0"
                pekko.remote.artery.canonical.port = 1
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = 10s
                """);

        Config config = node(null, List.of()).toConfig(overrides);

        assertEquals("127.0.0.1", config.getString("pekko.remote.artery.bind.hostname"));
        assertEquals(25520, config.getInt("pekko.remote.artery.canonical.port"));
        assertEquals(10, config.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause").toSeconds());
    }

    @Test
    void wildcardAddressesAreRefused() {
        for (String wildcard : List.of("0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0")) {
            IllegalArgumentException bind =
                    assertThrows(IllegalArgumentException.class, () -> node(wildcard, List.of()));
            assertTrue(bind.getMessage().contains("wildcard"), bind.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> new ClusterSettings("conclave", wildcard, 25520, null, List.of(), List.of()));
        }
    }

    @Test
    void malformedSeedsAndPortsAreRefused() {
        for (String seed : List.of("127.0.0.1", ":25520", "127.0.0.1:x", "127.0.0.1:70000", "127.0.0.1:0",
                "0.0.0.0:25520")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> node(null, List.of(seed)));
            assertTrue(e.getMessage().contains(seed) || e.getMessage().contains("seed"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> new ClusterSettings("conclave", "127.0.0.1", 65_536, null, List.of(), List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new ClusterSettings(" ", "127.0.0.1", 25520, null, List.of(), List.of()));
    }
}
