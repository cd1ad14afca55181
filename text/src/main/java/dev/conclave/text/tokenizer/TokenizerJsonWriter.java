package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a {@link BpeVocabulary} as a Hugging Face {@code tokenizer.json}, with the components and key order the
 * Rust library writes for Qwen-style byte-level tokenizers: no normalizer (so decode(encode(s)) is s for any
 * text), a {@code Split} on {@link #SPLIT_REGEX} then {@code ByteLevel} without its own regex, the ByteLevel
 * post-processor and decoder, and the special tokens as {@code added_tokens} after the vocabulary.
 */
final class TokenizerJsonWriter {

    /**
     * Qwen2/Qwen3's split: English contractions, letter runs with one leading non-letter, <em>single</em> digits
     * (so arithmetic tokenizes digit by digit; GLM-4.5's own regex groups 1-3 digits), punctuation runs, newline
     * runs and the other whitespace.
     */
    static final String SPLIT_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** serde_json's pretty style: two-space indent, {@code "key": value}. */
    private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private TokenizerJsonWriter() {
    }

    /** The {@code pre_tokenizer} node written, which is also what the trainer splits its corpus with. */
    static ObjectNode preTokenizer() {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "Sequence");
        ArrayNode stages = node.putArray("pretokenizers");
        ObjectNode split = stages.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", SPLIT_REGEX);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        stages.add(byteLevel());
        return node;
    }

    private static ObjectNode byteLevel() {
        return JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", false);
    }

    static void write(BpeVocabulary vocabulary, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        int id = vocabulary.tokens().size();
        for (String token : vocabulary.specialTokens()) {
            added.addObject().put("id", id++).put("content", token).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", preTokenizer());
        root.set("post_processor", byteLevel());
        root.set("decoder", byteLevel());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < vocabulary.tokens().size(); i++) {
            vocab.put(vocabulary.tokens().get(i), i);
        }
        ArrayNode merges = model.putArray("merges");
        for (BpeVocabulary.Merge m : vocabulary.merges()) {
            merges.addArray().add(m.left()).add(m.right());
        }
        writePretty(root, file);
    }

    /** Writes JSON as the Rust library and transformers do, so the file reads like theirs and diffs line by line. */
    static void writePretty(ObjectNode root, Path file) throws IOException {
        Files.writeString(file, PRETTY.writeValueAsString(root), StandardCharsets.UTF_8);
    }
}
