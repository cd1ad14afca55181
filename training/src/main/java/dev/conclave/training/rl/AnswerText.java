package dev.conclave.training.rl;

import dev.conclave.text.parse.ReasoningParser;

import java.util.Locale;
import java.util.regex.Pattern;

/** The final-answer part of a completion, as the verifiers compare it. */
final class AnswerText {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private AnswerText() {
    }

    /**
     * The completion without its {@code <think>…</think>} block (the text module's reasoning parser);
     * "" when there is no content, including an unclosed think block (a response cut off while thinking).
     */
    static String content(String completion) {
        String content = ReasoningParser.parse(completion).content();
        return content == null ? "" : content;
    }

    /** Trimmed, whitespace runs collapsed to one space, lower case. */
    static String normalise(String text) {
        return WHITESPACE.matcher(text.strip()).replaceAll(" ").toLowerCase(Locale.ROOT);
    }
}
