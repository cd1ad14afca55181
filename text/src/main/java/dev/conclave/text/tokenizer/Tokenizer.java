package dev.conclave.text.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;

/**
 * A Hugging Face {@code tokenizer.json} byte-level BPE tokenizer that reproduces the Rust {@code tokenizers}
 * library's ids: added tokens are cut out first (raw-text ones before normalization, normalized ones after),
 * the remaining text is normalized, pre-tokenized and BPE-encoded. Immutable and thread-safe.
 */
public final class Tokenizer {

    private final UnaryOperator<String> normalizer;
    private final PreTokenizer preTokenizer;
    private final BytePairModel model;
    private final AddedTokenMatcher rawTokens;
    private final AddedTokenMatcher normalizedTokens;
    private final Map<Integer, AddedToken> addedById;
    private final Map<String, AddedToken> addedByContent;
    private final SpecialTokenTemplate template;

    Tokenizer(UnaryOperator<String> normalizer, PreTokenizer preTokenizer, BytePairModel model,
              List<AddedToken> addedTokens, SpecialTokenTemplate template) {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.rawTokens = new AddedTokenMatcher(addedTokens.stream().filter(t -> !t.normalized()).toList());
        this.normalizedTokens = new AddedTokenMatcher(addedTokens.stream().filter(AddedToken::normalized).toList());
        this.addedById = new HashMap<>();
        this.addedByContent = new HashMap<>();
        for (AddedToken t : addedTokens) {
            addedById.put(t.id(), t);
            addedByContent.put(t.content(), t);
        }
        this.template = template;
    }

    /**
     * Loads a checkpoint directory's {@code tokenizer.json}, or a {@code tokenizer.json} / {@code .json.gz} file.
     *
     * @throws TokenizerException naming the file when it is missing, malformed or uses an unsupported component
     */
    public static Tokenizer load(Path path) {
        return TokenizerJson.load(path);
    }

    /** Encodes with the post-processor's special tokens, like Hugging Face's default. */
    public int[] encode(String text) {
        return encode(text, true);
    }

    public int[] encode(String text, boolean addSpecialTokens) {
        IdList ids = new IdList();
        if (addSpecialTokens) {
            ids.addAll(template.prefix());
        }
        int from = 0;
        for (AddedTokenMatcher.Match m : rawTokens.find(text)) {
            encodeNormalizing(text.substring(from, m.start()), ids);
            ids.add(m.token().id());
            from = m.end();
        }
        encodeNormalizing(text.substring(from), ids);
        if (addSpecialTokens) {
            ids.addAll(template.suffix());
        }
        return ids.toArray();
    }

    private void encodeNormalizing(String raw, IdList ids) {
        if (raw.isEmpty()) {
            return;
        }
        String text = normalizer.apply(raw);
        int from = 0;
        for (AddedTokenMatcher.Match m : normalizedTokens.find(text)) {
            encodePlain(text.substring(from, m.start()), ids);
            ids.add(m.token().id());
            from = m.end();
        }
        encodePlain(text.substring(from), ids);
    }

    private void encodePlain(String text, IdList ids) {
        if (text.isEmpty()) {
            return;
        }
        List<String> words = new ArrayList<>();
        preTokenizer.split(text, words);
        for (String word : words) {
            model.tokenize(word, ids);
        }
    }

    /** Decodes ids to text; invalid UTF-8 (a sequence cut mid-character) becomes U+FFFD, as in the Rust library. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            bytes.writeBytes(tokenBytes(id, skipSpecialTokens));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A decoder for one stream of generated ids. */
    public StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    /**
     * The bytes one id contributes to decoded text. As in the Rust {@code ByteLevel} decoder, a token spelled in
     * the byte alphabet gives its bytes and any other token (an added token like {@code <｜User｜>}) its own UTF-8.
     */
    byte[] tokenBytes(int id, boolean skipSpecialTokens) {
        String token = idToToken(id);
        AddedToken added = addedById.get(id);
        if (skipSpecialTokens && added != null && added.special()) {
            return new byte[0];
        }
        byte[] bytes = ByteLevelAlphabet.decode(token);
        return bytes != null ? bytes : token.getBytes(StandardCharsets.UTF_8);
    }

    /** The token text of an id (added tokens as written, vocabulary tokens in the byte alphabet). */
    public String idToToken(int id) {
        AddedToken added = addedById.get(id);
        String token = added != null ? added.content() : model.token(id);
        if (token == null) {
            throw new TokenizerException("token id " + id + " is not in the vocabulary or the added tokens");
        }
        return token;
    }

    public OptionalInt tokenToId(String token) {
        AddedToken added = addedByContent.get(token);
        if (added != null) {
            return OptionalInt.of(added.id());
        }
        Integer id = model.id(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** One past the largest id (vocabulary or added token): the smallest {@code vocab_size} a model may have. */
    public int idBound() {
        int bound = model.idBound();
        for (int id : addedById.keySet()) {
            bound = Math.max(bound, id + 1);
        }
        return bound;
    }

    public boolean isSpecial(int id) {
        AddedToken added = addedById.get(id);
        return added != null && added.special();
    }
}
