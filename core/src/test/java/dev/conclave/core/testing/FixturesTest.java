package dev.conclave.core.testing;

import dev.conclave.core.checkpoint.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FixturesTest {

    @Test
    void fixturesAreDirectoriesInThisModule() {
        for (String name : List.of(Fixtures.TINY_A, Fixtures.TINY_B)) {
            Path dir = Fixtures.fixture(name);
            assertTrue(Files.isRegularFile(dir.resolve("config.json")), dir.toString());
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")), dir.toString());
            assertTrue(Files.isRegularFile(dir.resolve("golden.json")), dir.toString());
        }
    }

    @Test
    void shardedFixtureCHasItsIndexAndBothShards() {
        Path dir = Fixtures.fixture(Fixtures.TINY_C);
        for (String file : List.of("config.json", "golden.json", "model.safetensors.index.json",
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")) {
            assertTrue(Files.isRegularFile(dir.resolve(file)), dir.resolve(file).toString());
        }
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertTrue(ckpt.hasMtp());
            assertFalse(ckpt.find("model.layers.3.embed_tokens.weight").isPresent(), "C has no MTP embedding copy");
            assertFalse(ckpt.find("model.layers.3.shared_head.head.weight").isPresent(), "C has no MTP head copy");
        }
    }

    /** Other modules see the fixtures inside core's test-jar; they must come out as a real, openable directory. */
    @Test
    void extractsFixturesFromAJar(@TempDir Path tmp) throws IOException {
        Path source = Fixtures.fixture(Fixtures.TINY_A);
        Path jar = tmp.resolve("core-tests.jar");
        List<String> files = List.of("config.json", "model.safetensors", "golden.json");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("fixtures/"));
            out.putNextEntry(new JarEntry("fixtures/" + Fixtures.TINY_A + "/"));
            for (String file : files) {
                out.putNextEntry(new JarEntry("fixtures/" + Fixtures.TINY_A + "/" + file));
                Files.copy(source.resolve(file), (OutputStream) out);
            }
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Path extracted = Fixtures.fixture(Fixtures.TINY_A, loader);
            assertFalse(extracted.startsWith(source), extracted.toString());
            assertEquals(extracted, Fixtures.fixture(Fixtures.TINY_A, loader)); // extracted once
            for (String file : files) {
                assertArrayEquals(Files.readAllBytes(source.resolve(file)), Files.readAllBytes(extracted.resolve(file)), file);
            }
            try (Checkpoint ckpt = Checkpoint.open(extracted)) {
                assertEquals(183, ckpt.names().size());
            }
            assertThrows(IllegalArgumentException.class, () -> Fixtures.fixture("no-such-fixture", loader));
        }
    }
}
