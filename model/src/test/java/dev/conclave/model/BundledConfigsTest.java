package dev.conclave.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Comparator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped GLM-4.5 / GLM-4.5-Air config.json resources hold the spec §1 values, key for key. */
class BundledConfigsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** JSON equality where 1000000 and 1000000.0 are the same number, as they are to every loader. */
    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> a.isNumber() && b.isNumber()
            ? Double.compare(a.asDouble(), b.asDouble()) : (a.equals(b) ? 0 : 1);

    private static void assertResourceIs(String resource, ModelConfig expected) throws IOException {
        JsonNode bundled;
        try (InputStream in = RandomCheckpoint.class.getResourceAsStream(resource)) {
            bundled = JSON.readTree(in);
        }
        JsonNode written = JSON.readTree(ConfigWriter.toJson(expected, DType.BF16));
        assertTrue(bundled.equals(NUMBERS_BY_VALUE, written), resource + "\n" + bundled + "\n" + written);
    }

    @Test
    void glm45() throws IOException {
        assertResourceIs("/configs/glm-4.5.json", TestConfigs.glm45());
    }

    @Test
    void glm45Air() throws IOException {
        assertResourceIs("/configs/glm-4.5-air.json", TestConfigs.glm45Air());
    }
}
