package dev.conclave.training.data;

import dev.conclave.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainTextTest {

    @TempDir
    Path tmp;

    @Test
    void textsEndInEndOfTextAndEveryTokenButTheFirstIsATarget() throws IOException {
        Tokenizer tokenizer = GlmTestTokenizer.tokenizer();
        Path file = tmp.resolve("pretrain.jsonl");
        Files.writeString(file, "{\"text\": \"Hello world\"}\n{\"text\": \"def f(x):\\n    return x\"}\n");
        List<Document> docs = PretrainText.read(file, tokenizer);
        assertEquals(2, docs.size());
        Document d = docs.getFirst();
        assertEquals("Hello world<|endoftext|>", tokenizer.decode(d.tokens(), false));
        int eos = tokenizer.tokenToId("<|endoftext|>").getAsInt();
        assertEquals(eos, d.tokens()[d.length() - 1]);
        assertFalse(d.lossMask()[0]);
        assertEquals(d.length() - 1, d.maskedTokens());
        assertTrue(Arrays.equals(tokenizer.encode("def f(x):\n    return x", false), 0, docs.get(1).length() - 1,
                docs.get(1).tokens(), 0, docs.get(1).length() - 1));

        Files.writeString(file, "{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n");
        DataException e = assertThrows(DataException.class, () -> PretrainText.read(file, tokenizer));
        assertEquals(file + ":2: \"text\" must be a string", e.getMessage());
    }
}
