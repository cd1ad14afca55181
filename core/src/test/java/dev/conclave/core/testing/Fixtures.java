package dev.conclave.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The golden fixture checkpoints of {@code core/src/test/resources/fixtures/} (a copy of the shared
 * fixtures, so tests never read outside the project), as real directories that {@code Checkpoint.open}
 * can map. Inside core they are plain directories; other modules get them through core's test-jar, where
 * they are jar entries, so those are copied once per JVM into a temporary directory.
 */
public final class Fixtures {

    /** QK-norm, 1 dense layer, 8 experts top-2, 1 shared expert. */
    public static final String TINY_A = "glm4moe-tiny-a";
    /** No QK-norm, 2 dense layers, 16 experts top-4 in 2 groups, 2 shared experts, head_dim != hidden/heads. */
    public static final String TINY_B = "glm4moe-tiny-b";
    /**
     * Made by the independent numpy oracle (tools/oracle/): BF16 weights in 2 shards plus an index, nested
     * {@code rope_parameters}, 32 experts top-4 in 4 groups keeping 2, MTP layer without its own embedding and
     * head copies, 40-token prompt.
     */
    public static final String TINY_C = "glm4moe-tiny-c";

    /** F16 weights, one KV head, rotary fraction 0.25, no attention bias, top-3 of 8; made by the oracle. */
    public static final String TINY_D = "glm4moe-tiny-d";

    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    private Fixtures() {
    }

    /** The directory of fixture {@code name} (holding config.json, the safetensors file(s), golden.json). */
    public static Path fixture(String name) {
        return fixture(name, Fixtures.class.getClassLoader());
    }

    static Path fixture(String name, ClassLoader loader) {
        // A fixture is a folder with a config.json; looking up a file works for directories and jars alike.
        URL config = loader.getResource("fixtures/" + name + "/config.json");
        if (config == null) {
            throw new IllegalArgumentException("no test fixture '" + name + "' on the classpath");
        }
        try {
            URI uri = config.toURI();
            if (uri.getScheme().equals("file")) {
                return Path.of(uri).getParent();
            }
            return EXTRACTED.computeIfAbsent(uri.toString(), _ -> extract(uri, name));
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad resource URL " + config, e);
        }
    }

    private static Path extract(URI configUri, String name) {
        try {
            FileSystem jar;
            boolean opened;
            try {
                jar = FileSystems.newFileSystem(configUri, Map.of());
                opened = true;
            } catch (FileSystemAlreadyExistsException e) {
                jar = FileSystems.getFileSystem(configUri);
                opened = false;
            }
            try {
                Path source = jar.provider().getPath(configUri).getParent();
                Path target = Files.createTempDirectory("conclave-" + name + "-");
                target.toFile().deleteOnExit();
                List<Path> files;
                try (Stream<Path> walk = Files.walk(source)) {
                    files = walk.toList();
                }
                // Parents come before children, and deleteOnExit runs in reverse order, so children go first.
                for (Path file : files) {
                    Path dest = target.resolve(source.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(dest);
                    } else {
                        Files.copy(file, dest);
                    }
                    dest.toFile().deleteOnExit();
                }
                return target;
            } finally {
                if (opened) {
                    jar.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract fixture " + name + " from " + configUri, e);
        }
    }
}
