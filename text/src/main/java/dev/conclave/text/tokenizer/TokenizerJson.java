package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.zip.GZIPInputStream;

/**
 * Reads a Hugging Face {@code tokenizer.json} into a {@link Tokenizer}. Every component type and option is checked
 * against what Conclave implements; anything else fails with the file and JSON path named, because approximating
 * an unknown component would give ids that differ from the model's training without any error.
 */
final class TokenizerJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;

    private TokenizerJson(String source) {
        this.source = source;
    }

    static Tokenizer load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        JsonNode root;
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            root = JSON.readTree(in);
        } catch (NoSuchFileException e) {
            throw new TokenizerException(file + ": file not found");
        } catch (JacksonException e) {
            throw new TokenizerException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerException(file + ": expected a JSON object");
        }
        return new TokenizerJson(file.toString()).tokenizer(root);
    }

    /** The pre-tokenizer a {@code pre_tokenizer} node describes; the BPE trainer splits its corpus with it. */
    static PreTokenizer parsePreTokenizer(JsonNode node) {
        return new TokenizerJson("the BPE trainer's tokenizer.json").preTokenizer(node, "pre_tokenizer");
    }

    private Tokenizer tokenizer(JsonNode root) {
        BytePairModel model = model(required(root, "model", "model"));
        List<AddedToken> added = addedTokens(root.path("added_tokens"));
        UnaryOperator<String> normalizer = normalizer(root.get("normalizer"), "normalizer");
        PreTokenizer preTokenizer = preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        SpecialTokenTemplate template = postProcessor(root.get("post_processor"), "post_processor");
        checkDecoder(root.get("decoder"));
        return new Tokenizer(normalizer, preTokenizer, model, added, template);
    }

    private BytePairModel model(JsonNode m) {
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw error("model.type", "is '" + type + "'; only BPE models are supported");
        }
        if (!m.path("dropout").isNull() && !m.path("dropout").isMissingNode() && m.path("dropout").asDouble() != 0) {
            throw error("model.dropout", "is " + m.get("dropout") + "; BPE dropout makes encoding random");
        }
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!m.path(affix).asText("").isEmpty()) {
                throw error("model." + affix, "is '" + m.get(affix).asText() + "'; only byte-level BPE without affixes is supported");
            }
        }
        JsonNode vocabNode = required(m, "vocab", "model.vocab");
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw error("model.vocab['" + e.getKey() + "']", "is " + e.getValue() + "; expected a non-negative integer id");
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        JsonNode mergesNode = required(m, "merges", "model.merges");
        Map<Long, Long> merges = new HashMap<>(mergesNode.size() * 2);
        for (int rank = 0; rank < mergesNode.size(); rank++) {
            String[] parts = mergeParts(mergesNode.get(rank), rank);
            Integer left = vocab.get(parts[0]);
            Integer right = vocab.get(parts[1]);
            Integer merged = vocab.get(parts[0] + parts[1]);
            if (left == null || right == null || merged == null) {
                throw error("model.merges[" + rank + "]", "'" + parts[0] + " " + parts[1] + "' uses a token missing from model.vocab");
            }
            merges.put(BytePairModel.pair(left, right), ((long) rank << 32) | merged);
        }
        Integer unkId = null;
        if (m.hasNonNull("unk_token")) {
            unkId = vocab.get(m.get("unk_token").asText());
            if (unkId == null) {
                throw error("model.unk_token", "'" + m.get("unk_token").asText() + "' is not in model.vocab");
            }
        }
        return new BytePairModel(vocab, merges, m.path("ignore_merges").asBoolean(false), unkId,
                m.path("fuse_unk").asBoolean(false), m.path("byte_fallback").asBoolean(false), source);
    }

    /** A merge is "a b" in older files and ["a", "b"] in newer ones (which allows spaces inside tokens). */
    private String[] mergeParts(JsonNode merge, int rank) {
        if (merge.isTextual()) {
            String[] parts = merge.asText().split(" ", -1);
            if (parts.length == 2) {
                return parts;
            }
        } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
            return new String[] {merge.get(0).asText(), merge.get(1).asText()};
        }
        throw error("model.merges[" + rank + "]", "is " + merge + "; expected \"a b\" or [\"a\", \"b\"]");
    }

    private List<AddedToken> addedTokens(JsonNode list) {
        List<AddedToken> tokens = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            String where = "added_tokens[" + i + "]";
            if (!t.path("id").canConvertToInt() || !t.path("content").isTextual() || t.get("content").asText().isEmpty()) {
                throw error(where, "needs an integer id and non-empty content, found " + t);
            }
            tokens.add(new AddedToken(t.get("id").asInt(), t.get("content").asText(), t.path("special").asBoolean(false),
                    t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(!t.path("special").asBoolean(false))));
        }
        return tokens;
    }

    private UnaryOperator<String> normalizer(JsonNode n, String where) {
        if (n == null || n.isNull()) {
            return UnaryOperator.identity();
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            case "Sequence" -> {
                JsonNode parts = required(n, "normalizers", where + ".normalizers");
                UnaryOperator<String> all = UnaryOperator.identity();
                for (int i = 0; i < parts.size(); i++) {
                    UnaryOperator<String> before = all;
                    UnaryOperator<String> part = normalizer(parts.get(i), where + ".normalizers[" + i + "]");
                    all = s -> part.apply(before.apply(s));
                }
                yield all;
            }
            default -> throw error(where + ".type", "is '" + type + "'; supported normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Sequence");
        };
    }

    private PreTokenizer preTokenizer(JsonNode p, String where) {
        if (p == null || p.isNull()) {
            return (piece, out) -> out.add(piece);
        }
        String type = p.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                JsonNode parts = required(p, "pretokenizers", where + ".pretokenizers");
                List<PreTokenizer> stages = new ArrayList<>();
                for (int i = 0; i < parts.size(); i++) {
                    stages.add(preTokenizer(parts.get(i), where + ".pretokenizers[" + i + "]"));
                }
                yield PreTokenizer.sequence(stages);
            }
            case "Split" -> split(p, where);
            case "ByteLevel" -> new ByteLevelPreTokenizer(p.path("add_prefix_space").asBoolean(true),
                    p.path("use_regex").asBoolean(true));
            default -> throw error(where + ".type", "is '" + type + "'; supported pre-tokenizers: Sequence, Split, ByteLevel");
        };
    }

    private PreTokenizer split(JsonNode p, String where) {
        JsonNode pattern = required(p, "pattern", where + ".pattern");
        Pattern compiled;
        try {
            if (pattern.hasNonNull("Regex")) {
                compiled = RegexSplit.compileOniguruma(pattern.get("Regex").asText());
            } else if (pattern.hasNonNull("String")) {
                compiled = RegexSplit.compileLiteral(pattern.get("String").asText());
            } else {
                throw error(where + ".pattern", "is " + pattern + "; expected {\"Regex\": ...} or {\"String\": ...}");
            }
        } catch (PatternSyntaxException e) {
            throw new TokenizerException(source + ": " + where + ".pattern does not compile as a Java regex: " + e.getMessage(), e);
        }
        String behaviorName = p.path("behavior").asText();
        SplitBehavior behavior = SplitBehavior.fromJson(behaviorName);
        if (behavior == null) {
            throw error(where + ".behavior", "is '" + behaviorName + "'; expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
        }
        return new RegexSplit(compiled, behavior, p.path("invert").asBoolean(false));
    }

    private SpecialTokenTemplate postProcessor(JsonNode p, String where) {
        if (p == null || p.isNull()) {
            return SpecialTokenTemplate.NONE;
        }
        String type = p.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> SpecialTokenTemplate.NONE;
            case "TemplateProcessing" -> template(p, where);
            case "Sequence" -> {
                JsonNode parts = required(p, "processors", where + ".processors");
                SpecialTokenTemplate result = SpecialTokenTemplate.NONE;
                for (int i = 0; i < parts.size(); i++) {
                    SpecialTokenTemplate t = postProcessor(parts.get(i), where + ".processors[" + i + "]");
                    if (t != SpecialTokenTemplate.NONE) {
                        if (result != SpecialTokenTemplate.NONE) {
                            throw error(where + ".processors", "has more than one TemplateProcessing");
                        }
                        result = t;
                    }
                }
                yield result;
            }
            default -> throw error(where + ".type", "is '" + type + "'; supported post-processors: ByteLevel, TemplateProcessing, Sequence");
        };
    }

    private SpecialTokenTemplate template(JsonNode p, String where) {
        JsonNode single = required(p, "single", where + ".single");
        JsonNode specials = p.path("special_tokens");
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        int sequences = 0;
        for (int i = 0; i < single.size(); i++) {
            JsonNode item = single.get(i);
            if (item.has("Sequence")) {
                sequences++;
            } else if (item.has("SpecialToken")) {
                String name = item.get("SpecialToken").path("id").asText();
                JsonNode ids = specials.path(name).path("ids");
                if (!ids.isArray() || ids.isEmpty()) {
                    throw error(where + ".special_tokens", "has no ids for '" + name + "' used by the single template");
                }
                for (JsonNode id : ids) {
                    (sequences == 0 ? prefix : suffix).add(id.asInt());
                }
            } else {
                throw error(where + ".single[" + i + "]", "is " + item + "; expected Sequence or SpecialToken");
            }
        }
        if (sequences != 1) {
            throw error(where + ".single", "must contain the sequence exactly once, found " + sequences);
        }
        return new SpecialTokenTemplate(prefix.stream().mapToInt(Integer::intValue).toArray(),
                suffix.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Decoding is byte-level (see {@link Tokenizer#tokenBytes}); any other decoder would need its own rules. */
    private void checkDecoder(JsonNode d) {
        String type = d == null || d.isNull() ? "none" : d.path("type").asText();
        if (!type.equals("ByteLevel")) {
            throw error("decoder.type", "is '" + type + "'; only the ByteLevel decoder is supported");
        }
    }

    private JsonNode required(JsonNode parent, String field, String where) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            throw error(where, "is missing");
        }
        return value;
    }

    private TokenizerException error(String where, String problem) {
        return new TokenizerException(source + ": " + where + " " + problem);
    }
}
