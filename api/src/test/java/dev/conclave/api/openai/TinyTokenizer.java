package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.text.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real byte-level tokenizer small enough to write out in a test: one token per byte (no merges) plus
 * GLM's tags and end-of-turn tokens as added tokens, so the server runs its true decode and parse path.
 */
public final class TinyTokenizer {
    static final List<String> ADDED = List.of("<think>", "</think>", "<tool_call>", "</tool_call>", "<arg_key>",
            "</arg_key>", "<arg_value>", "</arg_value>", "<|endoftext|>", "<|user|>", "<|assistant|>");
    public static final int ENDOFTEXT = 256 + ADDED.indexOf("<|endoftext|>");
    public static final int USER = 256 + ADDED.indexOf("<|user|>");
    static final int VOCAB = 256 + ADDED.size();

    private TinyTokenizer() {
    }

    public static Tokenizer create(Path dir) throws IOException {
        return create(dir, List.of());
    }

    /** The same with {@code pieces} as further (non-special) added tokens, ids from {@link #VOCAB} on. */
    public static Tokenizer create(Path dir, List<String> pieces) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        int[] byteToChar = byteAlphabet();
        for (int b = 0; b < 256; b++) {
            vocab.put(Character.toString(byteToChar[b]), b);
        }
        model.putArray("merges");
        var added = root.putArray("added_tokens");
        for (int i = 0; i < ADDED.size(); i++) {
            String content = ADDED.get(i);
            added.addObject().put("id", 256 + i).put("content", content).put("special", content.startsWith("<|"));
        }
        for (int i = 0; i < pieces.size(); i++) {
            added.addObject().put("id", VOCAB + i).put("content", pieces.get(i)).put("special", false);
        }
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", false);
        root.putObject("decoder").put("type", "ByteLevel");
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, Json.bytes(root));
        return Tokenizer.load(file);
    }

    /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest map to 256 and up. */
    private static int[] byteAlphabet() {
        int[] map = new int[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? b : next++;
        }
        return map;
    }
}
