package dev.conclave.text.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code Split} pre-tokenizer: cuts a piece at the matches of a pattern. The Rust library runs patterns with
 * Oniguruma in Unicode mode, where {@code \s}, {@code \w}, {@code \d} and case folding are Unicode-aware; Java
 * needs {@link Pattern#UNICODE_CHARACTER_CLASS} for the same classes (ASCII-only {@code \s} would, for example,
 * keep U+00A0 and U+3000 out of whitespace runs). Leftmost-first alternation and lookahead agree between the two.
 */
final class RegexSplit implements PreTokenizer {

    private final Pattern pattern;
    private final SplitBehavior behavior;
    private final boolean invert;

    RegexSplit(Pattern pattern, SplitBehavior behavior, boolean invert) {
        this.pattern = pattern;
        this.behavior = behavior;
        this.invert = invert;
    }

    /** Compiles an Oniguruma pattern from a tokenizer.json with Oniguruma's Unicode semantics. */
    static Pattern compileOniguruma(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** A pattern matching {@code literal} exactly (the {@code {"String": ...}} form). */
    static Pattern compileLiteral(String literal) {
        return Pattern.compile(Pattern.quote(literal));
    }

    @Override
    public void split(String piece, List<String> out) {
        int capacity = 8;
        int[] starts = new int[capacity];
        int[] ends = new int[capacity];
        boolean[] isMatch = new boolean[capacity];
        int count = 0;
        int previous = 0;
        Matcher m = pattern.matcher(piece);
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (count + 2 > capacity) {
                capacity *= 2;
                starts = java.util.Arrays.copyOf(starts, capacity);
                ends = java.util.Arrays.copyOf(ends, capacity);
                isMatch = java.util.Arrays.copyOf(isMatch, capacity);
            }
            if (m.start() > previous) {
                starts[count] = previous;
                ends[count] = m.start();
                isMatch[count++] = invert;
            }
            starts[count] = m.start();
            ends[count] = m.end();
            isMatch[count++] = !invert;
            previous = m.end();
        }
        if (previous < piece.length()) {
            if (count == capacity) {
                capacity++;
                starts = java.util.Arrays.copyOf(starts, capacity);
                ends = java.util.Arrays.copyOf(ends, capacity);
                isMatch = java.util.Arrays.copyOf(isMatch, capacity);
            }
            starts[count] = previous;
            ends[count] = piece.length();
            isMatch[count++] = invert;
        }
        behavior.fold(piece, starts, ends, isMatch, count, out);
    }
}
