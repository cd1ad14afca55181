package dev.conclave.text.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code ByteLevel} pre-tokenizer: optionally prefixes a space and splits with GPT-2's regex, then respells
 * every piece's UTF-8 bytes in the {@link ByteLevelAlphabet}, which is what the BPE vocabulary is written in.
 */
final class ByteLevelPreTokenizer implements PreTokenizer {

    private static final Pattern GPT2_SPLIT = RegexSplit.compileOniguruma(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private final boolean addPrefixSpace;
    private final RegexSplit gpt2Split;

    ByteLevelPreTokenizer(boolean addPrefixSpace, boolean useRegex) {
        this.addPrefixSpace = addPrefixSpace;
        this.gpt2Split = useRegex ? new RegexSplit(GPT2_SPLIT, SplitBehavior.ISOLATED, false) : null;
    }

    @Override
    public void split(String piece, List<String> out) {
        String text = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
        List<String> pieces;
        if (gpt2Split == null) {
            pieces = List.of(text);
        } else {
            pieces = new ArrayList<>();
            gpt2Split.split(text, pieces);
        }
        for (String p : pieces) {
            out.add(ByteLevelAlphabet.encode(p.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
