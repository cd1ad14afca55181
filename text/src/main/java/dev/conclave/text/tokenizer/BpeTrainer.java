package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a byte-level BPE vocabulary (Sennrich et al. 2016, on bytes as in GPT-2).
 * <ol>
 *   <li>The corpus is cut exactly as the written {@code tokenizer.json} will cut text: special tokens out first,
 *       then the {@link TokenizerJsonWriter#preTokenizer() pre-tokenizer} into words spelled in the byte
 *       alphabet. Equal words are counted once, with their frequency.</li>
 *   <li>The vocabulary starts with the 256 bytes in GPT-2's {@code bytes_to_unicode} order.</li>
 *   <li>Repeatedly, the adjacent pair with the highest count (occurrences weighted by word frequency) becomes a
 *       new token, replacing its occurrences in every word left to right, until the vocabulary reaches its size
 *       or no pair is left. Ties go to the lexicographically smallest pair: left token's bytes first, then the
 *       right token's, compared as unsigned bytes. A merge whose concatenation is already a token (reached
 *       through another split) adds a merge rule but no token, as in the Rust library's trainer.</li>
 * </ol>
 * Counts are kept incrementally: each pair knows the words it occurs in, a merge recounts only those words, and
 * a max-heap holds the candidates (an entry whose count is stale is refreshed or dropped when it reaches the top).
 */
public final class BpeTrainer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> specialTokens;
    private final AddedTokenMatcher specials;
    private final PreTokenizer preTokenizer = TokenizerJson.parsePreTokenizer(TokenizerJsonWriter.preTokenizer());
    private final Map<String, Long> wordCounts = new HashMap<>();

    /** @param specialTokens matched whole in the corpus (never learned from) and appended after the trained tokens */
    /** What a chat message's text is made of; role markup comes from the chat template's special tokens. */
    private static final List<String> CHAT_TEXT_FIELDS = List.of("content", "reasoning_content");

    public BpeTrainer(List<String> specialTokens) {
        this.specialTokens = List.copyOf(specialTokens);
        List<AddedToken> added = new ArrayList<>();
        for (String token : this.specialTokens) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException("a special token is empty");
            }
            added.add(new AddedToken(added.size(), token, true, false, false, false, false));
        }
        this.specials = new AddedTokenMatcher(added);
    }

    /** Counts the words of one document. */
    public void addText(String text) {
        int from = 0;
        for (AddedTokenMatcher.Match m : specials.find(text)) {
            addWords(text.substring(from, m.start()));
            from = m.end();
        }
        addWords(text.substring(from));
    }

    private void addWords(String text) {
        if (text.isEmpty()) {
            return;
        }
        List<String> words = new ArrayList<>();
        preTokenizer.split(text, words);
        for (String word : words) {
            wordCounts.merge(word, 1L, Long::sum);
        }
    }

    /**
     * Counts a corpus file: a {@code .jsonl} file holds one JSON object per line, either with a string field
     * {@code text} (a document) or chat {@code messages} (each message's content, reasoning_content and tool calls
     * count, and the sample's {@code tools} as JSON, since the chat template renders them into the prompt);
     * any other file is one UTF-8 document.
     */
    public void addFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "corpus file not found");
        }
        if (!file.getFileName().toString().endsWith(".jsonl")) {
            addText(Files.readString(file, StandardCharsets.UTF_8));
            return;
        }
        try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode doc;
                try {
                    doc = JSON.readTree(line);
                } catch (JacksonException e) {
                    throw new IOException(file + ":" + number + ": not valid JSON: " + e.getOriginalMessage(), e);
                }
                JsonNode text = doc == null ? null : doc.get("text");
                JsonNode messages = doc == null ? null : doc.get("messages");
                if (text != null && text.isTextual()) {
                    addText(text.asText());
                } else if (messages != null && messages.isArray()) {
                    for (JsonNode m : messages) {
                        for (String field : CHAT_TEXT_FIELDS) {
                            if (m.path(field).isTextual()) {
                                addText(m.get(field).asText());
                            }
                        }
                        for (JsonNode call : m.path("tool_calls")) {
                            addText(call.path("function").toString());
                        }
                    }
                    for (JsonNode tool : doc.path("tools")) {
                        addText(tool.toString());
                    }
                } else {
                    throw new IOException(file + ":" + number + ": expected an object with a string field \"text\""
                            + " or a \"messages\" list");
                }
            }
        }
    }

    /** A pair of adjacent token ids, its weighted count, and the words it may occur in (stale entries allowed). */
    private static final class Pair {
        final int left;
        final int right;
        long count;
        /** The count before the current merge step, valid while the pair is on that step's touched list. */
        long countBefore;
        boolean touched;
        int[] words = new int[4];
        int wordCount;

        Pair(int left, int right) {
            this.left = left;
            this.right = right;
        }

        void addWord(int word) {
            if (wordCount > 0 && words[wordCount - 1] == word) {
                return;
            }
            if (wordCount == words.length) {
                words = Arrays.copyOf(words, 2 * wordCount);
            }
            words[wordCount++] = word;
        }
    }

    /** A heap entry: the pair's count when it was pushed. */
    private record Candidate(Pair pair, long count) {
    }

    /**
     * Learns merges until the vocabulary, special tokens included, has {@code vocabSize} tokens, or until no
     * adjacent pair is left in the corpus (the vocabulary is then smaller).
     */
    public BpeVocabulary train(int vocabSize) {
        int ordinaryTarget = vocabSize - specialTokens.size();
        if (ordinaryTarget < 256) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is below the 256 byte tokens plus "
                    + specialTokens.size() + " special tokens");
        }
        List<byte[]> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        int[] byteId = new int[256];
        for (byte b : ByteLevelAlphabet.vocabularyOrder()) {
            byteId[b & 0xFF] = tokens.size();
            ids.put(ByteLevelAlphabet.encode(new byte[] {b}), tokens.size());
            tokens.add(new byte[] {b});
        }

        // Words in sorted order, so that nothing below depends on hash order.
        String[] spelled = wordCounts.keySet().toArray(String[]::new);
        Arrays.sort(spelled);
        int[][] words = new int[spelled.length][];
        int[] lengths = new int[spelled.length];
        long[] counts = new long[spelled.length];
        for (int w = 0; w < spelled.length; w++) {
            byte[] bytes = ByteLevelAlphabet.decode(spelled[w]);
            words[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                words[w][i] = byteId[bytes[i] & 0xFF];
            }
            lengths[w] = bytes.length;
            counts[w] = wordCounts.get(spelled[w]);
        }

        Map<Long, Pair> pairs = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            for (int i = 0; i + 1 < lengths[w]; i++) {
                Pair p = pair(pairs, words[w][i], words[w][i + 1]);
                p.count += counts[w];
                p.addWord(w);
            }
        }
        Comparator<Candidate> order = (a, b) -> {
            if (a.count() != b.count()) {
                return Long.compare(b.count(), a.count());
            }
            int left = Arrays.compareUnsigned(tokens.get(a.pair().left), tokens.get(b.pair().left));
            return left != 0 ? left : Arrays.compareUnsigned(tokens.get(a.pair().right), tokens.get(b.pair().right));
        };
        PriorityQueue<Candidate> heap = new PriorityQueue<>(order);
        pairs.values().forEach(p -> heap.add(new Candidate(p, p.count)));

        List<BpeVocabulary.Merge> merges = new ArrayList<>();
        List<Pair> touched = new ArrayList<>();
        while (tokens.size() < ordinaryTarget && !heap.isEmpty()) {
            Candidate top = heap.poll();
            Pair best = top.pair();
            if (top.count() != best.count) {
                // Counts that fell were not re-pushed: refresh. A count that rose has its own, newer entry.
                if (best.count > 0 && best.count < top.count()) {
                    heap.add(new Candidate(best, best.count));
                }
                continue;
            }
            byte[] joined = concat(tokens.get(best.left), tokens.get(best.right));
            String spelling = ByteLevelAlphabet.encode(joined);
            Integer existing = ids.get(spelling);
            int merged = existing != null ? existing : tokens.size();
            if (existing == null) {
                ids.put(spelling, merged);
                tokens.add(joined);
            }
            merges.add(new BpeVocabulary.Merge(ByteLevelAlphabet.encode(tokens.get(best.left)),
                    ByteLevelAlphabet.encode(tokens.get(best.right))));

            touched.clear();
            for (int k = 0; k < best.wordCount; k++) {
                int w = best.words[k];
                if (!contains(words[w], lengths[w], best.left, best.right)) {
                    continue;
                }
                countPairs(pairs, touched, words[w], lengths[w], -counts[w], -1, w);
                lengths[w] = replace(words[w], lengths[w], best.left, best.right, merged);
                countPairs(pairs, touched, words[w], lengths[w], counts[w], merged, w);
            }
            for (Pair p : touched) {
                p.touched = false;
                if (p.count == 0) {
                    pairs.remove(key(p.left, p.right));
                } else if (p.count > p.countBefore) {
                    heap.add(new Candidate(p, p.count));
                }
            }
        }

        List<String> spellings = new ArrayList<>(tokens.size());
        for (byte[] token : tokens) {
            spellings.add(ByteLevelAlphabet.encode(token));
        }
        return new BpeVocabulary(spellings, merges, specialTokens);
    }

    /**
     * Adds {@code delta} to the count of every adjacent pair of the word, noting each pair's count before this merge
     * step; pairs containing {@code newId} are new in this word and learn that they occur in it.
     */
    private static void countPairs(Map<Long, Pair> pairs, List<Pair> touched, int[] word, int length, long delta,
                                   int newId, int w) {
        for (int i = 0; i + 1 < length; i++) {
            Pair p = pair(pairs, word[i], word[i + 1]);
            if (!p.touched) {
                p.touched = true;
                p.countBefore = p.count;
                touched.add(p);
            }
            p.count += delta;
            if (word[i] == newId || word[i + 1] == newId) {
                p.addWord(w);
            }
        }
    }

    private static Pair pair(Map<Long, Pair> pairs, int left, int right) {
        long key = key(left, right);
        Pair p = pairs.get(key);
        if (p == null) {
            p = new Pair(left, right);
            pairs.put(key, p);
        }
        return p;
    }

    /**
     * The map key of a pair, scrambled by an odd multiplier (a bijection): Long's own hash of
     * {@code left << 32 | right} is {@code left ^ right}, which puts most pairs of a 32k vocabulary in few buckets.
     */
    private static long key(int left, int right) {
        return (((long) left << 32) | right) * 0x9E3779B97F4A7C15L;
    }

    private static boolean contains(int[] word, int length, int left, int right) {
        for (int i = 0; i + 1 < length; i++) {
            if (word[i] == left && word[i + 1] == right) {
                return true;
            }
        }
        return false;
    }

    /** Replaces the occurrences of (left, right) left to right, in place; returns the new length. */
    private static int replace(int[] word, int length, int left, int right, int merged) {
        int out = 0;
        for (int i = 0; i < length; ) {
            if (i + 1 < length && word[i] == left && word[i + 1] == right) {
                word[out++] = merged;
                i += 2;
            } else {
                word[out++] = word[i++];
            }
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
