package dev.conclave.training.data;

import dev.conclave.text.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Plain-text pretraining documents from JSONL lines {@code {"text": ...}}: each text is tokenized without
 * special tokens and closed by the end-of-text token, so the model learns where documents end. Every token
 * but the first is a target (nothing in the document precedes the first).
 */
public final class PretrainText {

    /** GLM's end-of-text token (id 151329 in GLM-4.5). */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private PretrainText() {
    }

    public static List<Document> read(Path file, Tokenizer tokenizer) {
        int eos = tokenizer.tokenToId(END_OF_TEXT).orElseThrow(() -> new DataException(
                "the tokenizer has no " + END_OF_TEXT + " token to end pretraining documents with"));
        return Jsonl.read(file, (line, where) -> {
            if (!line.path("text").isTextual()) {
                throw new DataException(where + ": \"text\" must be a string");
            }
            int[] body = tokenizer.encode(line.get("text").asText(), false);
            int[] tokens = Arrays.copyOf(body, body.length + 1);
            tokens[body.length] = eos;
            boolean[] mask = new boolean[tokens.length];
            Arrays.fill(mask, 1, mask.length, true);
            return new Document(tokens, mask, where);
        });
    }
}
