package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A 20 KB fuzz text (golden strings, random runs over many scripts, combining marks that NFC composes, odd
 * whitespace, contractions, special tokens) against ids and decodes made by the Rust library through its Python
 * binding, version in {@code large-golden.json}.
 */
class LargeTextGoldenTest {

    static final List<String> TOKENIZERS = GoldenTokenizers.NAMES;

    @ParameterizedTest
    @FieldSource("TOKENIZERS")
    void matchesRustLibrary(String name) throws IOException {
        String text = Files.readString(GoldenTokenizers.resource("large.txt"), StandardCharsets.UTF_8);
        JsonNode golden = new ObjectMapper().readTree(GoldenTokenizers.resource("large-golden.json").toFile());
        JsonNode idsNode = golden.path("ids").path(name);
        int[] expected = new int[idsNode.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = idsNode.get(i).asInt();
        }
        Tokenizer tokenizer = GoldenTokenizers.tokenizer(name);
        assertArrayEquals(expected, tokenizer.encode(text, false));
        assertEquals(golden.path("decoded").path(name).asText(), tokenizer.decode(expected, false));
        assertEquals(golden.path("decoded_skipping_special").path(name).asText(), tokenizer.decode(expected, true));
    }
}
