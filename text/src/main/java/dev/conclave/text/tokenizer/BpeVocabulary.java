package dev.conclave.text.tokenizer;

import java.util.List;

/**
 * A trained byte-level BPE vocabulary: {@code tokens.get(id)} spelled in the {@link ByteLevelAlphabet} (the first
 * 256 are the single bytes), the merges in the order they were learned (their rank), and the special tokens, whose
 * ids follow the last ordinary token as GLM's do.
 */
public record BpeVocabulary(List<String> tokens, List<Merge> merges, List<String> specialTokens) {

    /** One learned merge: the two tokens (alphabet spelling) whose concatenation became a token. */
    public record Merge(String left, String right) {
    }

    public BpeVocabulary {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        specialTokens = List.copyOf(specialTokens);
    }

    /** Ordinary tokens plus special tokens: the smallest embedding a model using this vocabulary needs. */
    public int size() {
        return tokens.size() + specialTokens.size();
    }
}
