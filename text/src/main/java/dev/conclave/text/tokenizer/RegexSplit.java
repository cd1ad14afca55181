package dev.conclave.text.tokenizer;

import java.util.ArrayList;
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
        List<SplitBehavior.Span> spans = new ArrayList<>();
        int previous = 0;
        Matcher m = pattern.matcher(piece);
        while (m.find()) {
            // An empty match cuts nothing; the Rust splitter drops the empty pieces it would make.
            if (m.end() == m.start()) {
                continue;
            }
            if (m.start() > previous) {
                spans.add(new SplitBehavior.Span(previous, m.start(), invert));
            }
            spans.add(new SplitBehavior.Span(m.start(), m.end(), !invert));
            previous = m.end();
        }
        if (previous < piece.length()) {
            spans.add(new SplitBehavior.Span(previous, piece.length(), invert));
        }
        behavior.fold(piece, spans, out);
    }
}
