package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading from a directory, the merge and post-processor forms, and a clear error for everything unsupported. */
class TokenizerJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A byte-level tokenizer with the 256 byte symbols (ids 0..255), "ab" = 256 and "abc" = 257. */
    private static ObjectNode tiny() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(ByteLevelAlphabet.encode(new byte[] {(byte) b}), b);
        }
        vocab.put("ab", 256);
        vocab.put("abc", 257);
        ArrayNode merges = model.putArray("merges");
        merges.add("a b");
        merges.addArray().add("ab").add("c");
        root.putArray("added_tokens").addObject().put("id", 258).put("content", "<s>").put("special", true);
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        post.putArray("single").add(JSON.createObjectNode().set("SpecialToken", JSON.createObjectNode().put("id", "<s>")))
                .add(JSON.createObjectNode().set("Sequence", JSON.createObjectNode().put("id", "A")));
        post.putObject("special_tokens").putObject("<s>").putArray("ids").add(258);
        root.putObject("decoder").put("type", "ByteLevel");
        return root;
    }

    private Path write(ObjectNode root) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, root.toString(), StandardCharsets.UTF_8);
        return file;
    }

    private void assertRejected(Consumer<ObjectNode> edit, String expected) throws IOException {
        ObjectNode root = tiny();
        edit.accept(root);
        Path file = write(root);
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void loadsDirectoryWithStringAndArrayMergesAndTemplate() throws IOException {
        write(tiny());
        Tokenizer tokenizer = Tokenizer.load(dir);
        // GPT-2's regex splits "abc ab" into "abc" and " ab"; the space is byte 32, spelled 'Ġ'.
        assertArrayEquals(new int[] {257, 32, 256}, tokenizer.encode("abc ab", false));
        assertArrayEquals(new int[] {258, 257}, tokenizer.encode("abc"));
        assertArrayEquals(new int[] {257}, tokenizer.encode("abc", false));
    }

    @Test
    void rejectsUnsupportedModelType() throws IOException {
        assertRejected(r -> ((ObjectNode) r.get("model")).put("type", "WordPiece"), "model.type");
    }

    @Test
    void rejectsUnknownPreTokenizer() throws IOException {
        assertRejected(r -> r.putObject("pre_tokenizer").put("type", "Whitespace"), "pre_tokenizer.type");
    }

    @Test
    void rejectsUnknownNormalizerInsideSequence() throws IOException {
        assertRejected(r -> r.putObject("normalizer").put("type", "Sequence").putArray("normalizers")
                .addObject().put("type", "Replace"), "normalizer.normalizers[0].type");
    }

    @Test
    void rejectsMergeOfUnknownTokens() throws IOException {
        assertRejected(r -> ((ArrayNode) r.get("model").get("merges")).add("x yz"), "model.merges[2]");
    }

    @Test
    void rejectsRegexJavaCannotCompile() throws IOException {
        assertRejected(r -> r.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated")
                .putObject("pattern").put("Regex", "(unclosed"), "pre_tokenizer.pattern");
    }

    @Test
    void rejectsNonByteLevelDecoder() throws IOException {
        assertRejected(r -> r.putObject("decoder").put("type", "WordPiece"), "decoder.type");
    }

    @Test
    void malformedAndMissingFilesNameTheFile() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\": ");
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.load(file)).getMessage().contains(file.toString()));
        Path missing = dir.resolve("nowhere.json.gz");
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.load(missing)).getMessage().contains(missing.toString()));
    }

    @Test
    void unknownIdIsAnError() throws IOException {
        write(tiny());
        assertThrows(TokenizerException.class, () -> Tokenizer.load(dir).decode(new int[] {9999}, false));
    }
}
