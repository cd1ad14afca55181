package dev.conclave.text.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Encoding speed on 100 KB of mixed text (English, code, CJK, emoji, numbers). The printed time is the number
 * to watch; the assertion is deliberately loose so a busy CI machine does not fail it.
 */
class TokenizerSpeedTest {

    static String mixedText(int bytes, long seed) {
        List<String> pieces = GoldenTokenizers.cases().stream().map(GoldenTokenizers.Case::text).distinct().toList();
        Random random = new Random(seed);
        StringBuilder text = new StringBuilder();
        while (text.toString().getBytes(StandardCharsets.UTF_8).length < bytes) {
            for (int i = 0; i < 200; i++) {
                text.append(pieces.get(random.nextInt(pieces.size()))).append(random.nextBoolean() ? " " : "\n");
                text.append(random.nextInt(100_000)).append(' ').append(Long.toString(random.nextLong(), 36)).append(' ');
            }
        }
        return text.toString();
    }

    @Test
    void encodes100KilobytesWellUnderASecond() {
        String text = mixedText(100_000, 42);
        for (String name : GoldenTokenizers.NAMES) {
            Tokenizer tokenizer = GoldenTokenizers.tokenizer(name);
            long start = System.nanoTime();
            int[] ids = tokenizer.encode(text, false);
            double coldMs = (System.nanoTime() - start) / 1e6;
            start = System.nanoTime();
            tokenizer.encode(text, false);
            double warmMs = (System.nanoTime() - start) / 1e6;
            System.out.printf("%s: %d bytes -> %d tokens, first encode %.1f ms, second %.1f ms%n",
                    name, text.getBytes(StandardCharsets.UTF_8).length, ids.length, coldMs, warmMs);
            assertEquals(text, tokenizer.decode(ids, false));
            assertTrue(coldMs < 5000, name + " took " + coldMs + " ms");
        }
    }
}
