package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.text.chat.ChatTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BPE trainer against hand-computed merges, GPT-2's byte order (as the Qwen3 fixture file has it), a naive
 * full-recount trainer, and the tokenizer.json reader (round trips, digits, special tokens, determinism).
 * <p>
 * The Rust library (Python {@code tokenizers} 0.23.2) was run once, by hand, to make the trained-glm-400 golden
 * files; the tests need no Python. Also checked by hand then: tokenizers of 1000, 4096 and 32000 tokens trained
 * on 3.7 MB of English docs and Java source load there, re-serialize to the same bytes, and give the same ids as
 * {@link Tokenizer} on 659 samples (large.txt's lines, chat renders, 2000-char corpus slices); and transformers
 * 5.18.0's {@code AutoTokenizer} loads the 1000-token directory (eos and pad {@code <|endoftext|>}) and its
 * {@code apply_chat_template} renders the 10 golden conversations to the same text and ids as the Java side.
 */
class BpeTrainerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static String resource(String name) throws IOException {
        return Files.readString(GoldenTokenizers.resource(name), StandardCharsets.UTF_8);
    }

    /** A few tens of KB of varied text: the tokenizer fixtures' strings and the GLM chat template's renders. */
    private static String corpus() throws IOException {
        String chat;
        try (var in = BpeTrainerTest.class.getResourceAsStream("/chat-templates/golden.json")) {
            chat = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return resource("large.txt") + chat + GlmTokenizerFiles.chatTemplate();
    }

    private static List<String> mergesOf(BpeVocabulary v) {
        return v.merges().stream().map(m -> m.left() + " " + m.right()).toList();
    }

    @Test
    void mergesATinyCorpusAsComputedByHand() {
        // Words "aaa", " baa", " ab" (Ġ spells the space). a+a occurs 3 times (twice in "aaa"), every other pair
        // once, so "aa" is first; then every pair counts 1 and the tie-break decides, step by step:
        // {aa+a, Ġ+b, b+aa, Ġ+a, a+b}: the smallest left token is Ġ (byte 0x20), then the smaller right a -> Ġa;
        // {aa+a, Ġ+b, b+aa, Ġa+b}: Ġ is a prefix of Ġa, so smaller -> Ġb;
        // {aa+a, Ġb+aa, Ġa+b} -> Ġab; {aa+a, Ġb+aa} -> Ġbaa; {aa+a} -> aaa; then no pair is left.
        BpeTrainer trainer = new BpeTrainer(List.of());
        trainer.addText("aaa baa ab");
        BpeVocabulary v = trainer.train(1000);
        assertEquals(List.of("a a", "Ġ a", "Ġ b", "Ġa b", "Ġb aa", "aa a"), mergesOf(v));
        assertEquals(List.of("aa", "Ġa", "Ġb", "Ġab", "Ġbaa", "aaa"), v.tokens().subList(256, v.tokens().size()));

        BpeTrainer capped = new BpeTrainer(List.of("<s>"));
        capped.addText("aaa baa ab");
        BpeVocabulary three = capped.train(256 + 3 + 1);
        assertEquals(List.of("a a", "Ġ a", "Ġ b"), mergesOf(three));
        assertEquals(260, three.size());
    }

    /** The Qwen3 fixture's split regex and first 256 tokens, streamed: the rest of the 150k-token file is not parsed. */
    private record QwenHead(String splitRegex, List<String> byteTokens) {
        static QwenHead read() throws IOException {
            String regex = null;
            List<String> bytes = new ArrayList<>();
            try (var in = new GZIPInputStream(Files.newInputStream(GoldenTokenizers.resource("qwen3.tokenizer.json.gz")));
                 JsonParser p = JSON.createParser(in)) {
                while (bytes.isEmpty() && p.nextToken() != null) {
                    if (p.currentToken() != JsonToken.FIELD_NAME) {
                        continue;
                    }
                    if (p.currentName().equals("Regex") && regex == null) {
                        regex = p.nextTextValue();
                    } else if (p.currentName().equals("vocab")) {
                        p.nextToken();
                        while (bytes.size() < 256 && p.nextToken() == JsonToken.FIELD_NAME) {
                            bytes.add(p.currentName());
                            p.nextToken();
                        }
                    }
                }
            }
            return new QwenHead(regex, bytes);
        }
    }

    @Test
    void byteTokensComeFirstInGpt2Order() throws IOException {
        BpeVocabulary v = new BpeTrainer(List.of()).train(256);
        assertEquals(QwenHead.read().byteTokens(), v.tokens());
    }

    @Test
    void splitsExactlyAsTheQwen3FixtureDoes() throws IOException {
        assertEquals(QwenHead.read().splitRegex(), TokenizerJsonWriter.SPLIT_REGEX);
    }

    @Test
    void agreesWithANaiveFullRecountTrainer() throws IOException {
        String text = corpus();
        BpeTrainer trainer = new BpeTrainer(List.of());
        trainer.addText(text);
        BpeVocabulary v = trainer.train(256 + 300);
        assertEquals(NaiveBpe.merges(text, 300), mergesOf(v));
    }

    private Tokenizer trainGlm(String text, int vocabSize) throws IOException {
        BpeTrainer trainer = new BpeTrainer(GlmTokenizerFiles.SPECIAL_TOKENS);
        trainer.addText(text);
        GlmTokenizerFiles.write(trainer.train(vocabSize), dir);
        return Tokenizer.load(dir);
    }

    /**
     * trained-glm-400/ holds the Rust library's view of the GLM tokenizer trained on {@link #corpus()} with 400
     * tokens (tools/tokenizer/rust_golden.py): its own serialization of our file, and its ids for varied text.
     */
    @Test
    void matchesTheRustLibrarysSerializationAndIds() throws IOException {
        Tokenizer t = trainGlm(corpus(), 400);
        assertEquals(resource("trained-glm-400/rust.tokenizer.json"),
                Files.readString(dir.resolve("tokenizer.json"), StandardCharsets.UTF_8));
        JsonNode cases;
        try (var in = new GZIPInputStream(Files.newInputStream(GoldenTokenizers.resource("trained-glm-400/rust-ids.json.gz")))) {
            cases = JSON.readTree(in);
        }
        assertTrue(cases.size() > 100, "golden cases: " + cases.size());
        for (JsonNode c : cases) {
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asInt();
            }
            assertArrayEquals(expected, t.encode(c.get("text").asText(), false), c.get("text").asText());
        }
    }

    @Test
    void trainedFileRoundTripsVariedText() throws IOException {
        Tokenizer t = trainGlm(corpus(), 1200);
        List<String> samples = new ArrayList<>(List.of(resource("large.txt").split("\n")));
        samples.addAll(List.of("", " ", "\r\n\r\n", "\t\u000b\u0000\u001f\u007f", "emoji 🧑‍🤝‍🧑 👍🏽 🇫🇷",
                "e\u0301 vs \u00e9 (not NFC-normalized)", "ｆｕｌｌｗｉｄｔｈ", "한국어 日本語 中文 العربية",
                "a word the corpus never saw: floccinaucinihilipilification", "\uFEFFbom", "x".repeat(5000)));
        for (String s : samples) {
            int[] ids = t.encode(s, false);
            assertEquals(s, t.decode(ids, false), () -> "round trip of " + s);
        }
        assertTrue(t.encode("the chat template", false).length < "the chat template".length(),
                "corpus words compress");
    }

    @Test
    void digitsStayOneTokenEach() throws IOException {
        StringBuilder arithmetic = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            arithmetic.append(i).append('+').append(i * 7).append('=').append(i * 8).append('\n');
        }
        Tokenizer t = trainGlm(arithmetic.toString(), 400);
        int[] ids = t.encode("123+4567=4690", false);
        List<String> tokens = Arrays.stream(ids).mapToObj(t::idToToken).toList();
        assertEquals(List.of("1", "2", "3", "+", "4", "5", "6", "7", "=", "4", "6", "9", "0"), tokens);
    }

    @Test
    void specialTokensAreAtomicAndNeverLearned() throws IOException {
        String chatty = "<|user|>\nhello<|assistant|>\n<think></think>\nhi there\n".repeat(200);
        Tokenizer t = trainGlm(chatty + corpus(), 1000);
        List<String> specials = GlmTokenizerFiles.SPECIAL_TOKENS;
        int first = t.tokenToId(specials.get(0)).orElseThrow();
        for (int i = 0; i < specials.size(); i++) {
            String s = specials.get(i);
            assertEquals(first + i, t.tokenToId(s).orElseThrow(), s);
            assertTrue(t.isSpecial(first + i), s);
            assertArrayEquals(new int[] {first + i}, t.encode(s, false), s);
            int[] inText = t.encode("x" + s + "y", false);
            assertEquals(3, inText.length, s);
            assertEquals(first + i, inText[1], s);
        }
        for (int id = 0; id < first; id++) {
            String token = new String(ByteLevelAlphabet.decode(t.idToToken(id)), StandardCharsets.UTF_8);
            assertFalse(token.contains("|user") || token.contains("think>") || token.contains("assistant|"),
                    "ordinary token " + id + " '" + token + "' was learned from a special token");
        }
    }

    @Test
    void glmChatTemplateRendersToSingleIdSpecialTokens() throws IOException {
        Tokenizer t = trainGlm(corpus(), 1000);
        ChatTemplate template = ChatTemplate.load(dir);
        JsonNode golden;
        try (var in = BpeTrainerTest.class.getResourceAsStream("/chat-templates/golden.json")) {
            golden = JSON.readTree(in);
        }
        Pattern special = Pattern.compile(GlmTokenizerFiles.SPECIAL_TOKENS.stream().map(Pattern::quote)
                .collect(Collectors.joining("|")));
        for (JsonNode c : golden.path("cases")) {
            Map<String, Object> context = JSON.convertValue(c, new TypeReference<>() { });
            String expected = (String) context.remove("rendered");
            String rendered = template.render(context);
            assertEquals(expected, rendered, c.path("name").asText());

            List<String> written = new ArrayList<>();
            Matcher m = special.matcher(rendered);
            while (m.find()) {
                written.add(m.group());
            }
            int[] ids = t.encode(rendered, false);
            List<String> encoded = Arrays.stream(ids).filter(t::isSpecial).mapToObj(t::idToToken).toList();
            assertEquals(written, encoded, c.path("name").asText());
            assertEquals(rendered, t.decode(ids, false), c.path("name").asText());
        }
        JsonNode config = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("<|endoftext|>", config.path("eos_token").asText());
        assertEquals("<|endoftext|>", config.path("pad_token").asText());
    }

    @Test
    void sameCorpusGivesTheSameFileByteForByte() throws IOException {
        String[] documents = corpus().split("\n");
        BpeTrainer forward = new BpeTrainer(GlmTokenizerFiles.SPECIAL_TOKENS);
        BpeTrainer backward = new BpeTrainer(GlmTokenizerFiles.SPECIAL_TOKENS);
        for (int i = 0; i < documents.length; i++) {
            forward.addText(documents[i]);
            backward.addText(documents[documents.length - 1 - i]);
        }
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        GlmTokenizerFiles.write(forward.train(900), a);
        GlmTokenizerFiles.write(backward.train(900), b);
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(b.resolve(file)), file);
        }
    }

    @Test
    void readsJsonlCorporaAndNamesTheBadLine() throws IOException {
        Path jsonl = dir.resolve("corpus.jsonl");
        Files.writeString(jsonl, "{\"text\": \"aaa baa\"}\n\n{\"text\": \"ab\", \"id\": 3}\n");
        BpeTrainer fromJsonl = new BpeTrainer(List.of());
        fromJsonl.addFile(jsonl);
        BpeTrainer fromText = new BpeTrainer(List.of());
        fromText.addText("aaa baa");
        fromText.addText("ab");
        assertEquals(mergesOf(fromText.train(300)), mergesOf(fromJsonl.train(300)));

        Files.writeString(jsonl, "{\"text\": \"fine\"}\n{\"content\": \"no text\"}\n");
        IOException missing = assertThrows(IOException.class, () -> new BpeTrainer(List.of()).addFile(jsonl));
        assertEquals(jsonl + ":2: expected an object with a string field \"text\" or a \"messages\" list", missing.getMessage());
        Files.writeString(jsonl, "{\"messages\": [{\"role\": \"user\", \"content\": \"aaa\"},"
                + " {\"role\": \"assistant\", \"reasoning_content\": \"baa\", \"content\": \"ab\"}]}\n");
        BpeTrainer fromChat = new BpeTrainer(List.of());
        fromChat.addFile(jsonl);
        BpeTrainer fromParts = new BpeTrainer(List.of());
        List.of("aaa", "ab", "baa").forEach(fromParts::addText);
        assertEquals(mergesOf(fromParts.train(300)), mergesOf(fromChat.train(300)), "chat lines count every message's text");
        Files.writeString(jsonl, "{\"text\": \n");
        IOException broken = assertThrows(IOException.class, () -> new BpeTrainer(List.of()).addFile(jsonl));
        assertTrue(broken.getMessage().startsWith(jsonl + ":1: not valid JSON"), broken.getMessage());
    }

    @Test
    void rejectsAVocabularyTooSmallForBytesAndSpecials() {
        BpeTrainer trainer = new BpeTrainer(GlmTokenizerFiles.SPECIAL_TOKENS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.train(280));
        assertEquals("vocab size 280 is below the 256 byte tokens plus 36 special tokens", e.getMessage());
    }

    /**
     * The textbook algorithm, independent of the trainer's bookkeeping: recount every pair of every word before
     * each merge. Tokens are strings of chars 0..255 (one per byte), so String order is unsigned byte order.
     */
    static final class NaiveBpe {
        private record Pair(String left, String right) {
        }

        static List<String> merges(String text, int count) {
            List<String> pieces = new ArrayList<>();
            TokenizerJson.parsePreTokenizer(TokenizerJsonWriter.preTokenizer()).split(text, pieces);
            Map<String, Long> frequency = new HashMap<>();
            pieces.forEach(piece -> frequency.merge(piece, 1L, Long::sum));
            List<List<String>> words = new ArrayList<>();
            List<Long> counts = new ArrayList<>();
            frequency.forEach((piece, c) -> {
                List<String> symbols = new ArrayList<>();
                for (byte b : ByteLevelAlphabet.decode(piece)) {
                    symbols.add(String.valueOf((char) (b & 0xFF)));
                }
                words.add(symbols);
                counts.add(c);
            });
            List<String> merges = new ArrayList<>();
            for (int step = 0; step < count; step++) {
                Map<Pair, Long> pairs = new HashMap<>();
                for (int w = 0; w < words.size(); w++) {
                    List<String> word = words.get(w);
                    for (int i = 0; i + 1 < word.size(); i++) {
                        pairs.merge(new Pair(word.get(i), word.get(i + 1)), counts.get(w), Long::sum);
                    }
                }
                Pair best = null;
                for (Map.Entry<Pair, Long> e : pairs.entrySet()) {
                    Pair p = e.getKey();
                    if (best == null || e.getValue() > pairs.get(best) || (e.getValue().equals(pairs.get(best))
                            && (p.left().compareTo(best.left()) < 0
                            || (p.left().equals(best.left()) && p.right().compareTo(best.right()) < 0)))) {
                        best = p;
                    }
                }
                if (best == null) {
                    break;
                }
                merges.add(spell(best.left()) + " " + spell(best.right()));
                for (List<String> word : words) {
                    for (int i = 0; i + 1 < word.size(); i++) {
                        if (word.get(i).equals(best.left()) && word.get(i + 1).equals(best.right())) {
                            word.set(i, word.get(i) + word.remove(i + 1));
                        }
                    }
                }
            }
            return merges;
        }

        private static String spell(String latin1) {
            return ByteLevelAlphabet.encode(latin1.getBytes(StandardCharsets.ISO_8859_1));
        }
    }
}
