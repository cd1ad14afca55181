package dev.conclave.text.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every golden string of both fixture tokenizers, against the ids the Rust library produced (encoded without
 * special tokens, as the golden file was).
 */
class TokenizerGoldenTest {

    static List<GoldenTokenizers.Case> cases() {
        return GoldenTokenizers.cases();
    }

    @Test
    void goldenFileCoversBothTokenizers() {
        assertEquals(110, cases().size());
        assertFalse(GoldenTokenizers.cases().stream().anyMatch(c -> c.text().isEmpty() && c.ids().length > 0));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void encodeMatchesRustLibrary(GoldenTokenizers.Case c) {
        assertArrayEquals(c.ids(), GoldenTokenizers.tokenizer(c.tokenizer()).encode(c.text(), false));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void decodeMatchesRustLibrary(GoldenTokenizers.Case c) {
        assertEquals(c.decoded(), GoldenTokenizers.tokenizer(c.tokenizer()).decode(c.ids(), false));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void streamingDecodeOneIdAtATimeEqualsFullDecode(GoldenTokenizers.Case c) {
        Tokenizer tokenizer = GoldenTokenizers.tokenizer(c.tokenizer());
        for (boolean skipSpecial : new boolean[] {false, true}) {
            StreamingDecoder stream = tokenizer.streamingDecoder(skipSpecial);
            StringBuilder text = new StringBuilder();
            for (int id : c.ids()) {
                String delta = stream.next(id);
                assertFalse(!delta.isEmpty() && Character.isHighSurrogate(delta.charAt(delta.length() - 1)),
                        "delta ends inside a surrogate pair");
                assertFalse(delta.contains("\uFFFD") && !tokenizer.decode(c.ids(), skipSpecial).contains("\uFFFD"),
                        "delta contains a replacement char for half a character");
                text.append(delta);
            }
            text.append(stream.finish());
            assertEquals(tokenizer.decode(c.ids(), skipSpecial), text.toString());
        }
    }
}
