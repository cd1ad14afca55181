package dev.conclave.text.parse;

/**
 * GLM-4.5 reasoning parser (spec §8.3): splits {@code <think>…</think>} off the model output.
 *
 * <p>Rules, identical for {@link #parse} and {@link ReasoningStream}, so a streamed response always adds up
 * to the non-streamed one:
 * <ul>
 *   <li>A think block is recognised only at the very start of the output, after at most one newline. The
 *       template writes {@code "\n<think>"} when thinking is on; when the prompt already closed the think
 *       block no tags appear and everything is content, so a {@code <think>} later in the text is literal.</li>
 *   <li>The reasoning runs to the first {@code </think>}. Unlike vLLM, a missing {@code </think>} (output cut
 *       off by max_tokens) leaves the text as reasoning: a stream has already sent it as reasoning and cannot
 *       take it back, and reasoning is what it is.</li>
 *   <li>One newline is dropped at the start of the output and right after {@code </think>}: the template
 *       writes those as separators ({@code "</think>" + "\n" + content}), they are not part of the answer.</li>
 *   <li>Empty reasoning or content is reported as {@code null}, as OpenAI clients expect.</li>
 * </ul>
 */
public final class ReasoningParser {
    static final String OPEN = "<think>";
    static final String CLOSE = "</think>";

    /** Non-streaming result; either part may be {@code null}. */
    public record Split(String reasoning, String content) {
    }

    /** One streamed piece; either part may be empty, never {@code null}. */
    public record Delta(String reasoning, String content) {
    }

    private ReasoningParser() {
    }

    public static Split parse(String output) {
        String body = dropNewline(output);
        if (!body.startsWith(OPEN)) {
            return new Split(null, nullIfEmpty(body));
        }
        String rest = body.substring(OPEN.length());
        int end = rest.indexOf(CLOSE);
        if (end < 0) {
            return new Split(nullIfEmpty(rest), null);
        }
        String content = dropNewline(rest.substring(end + CLOSE.length()));
        return new Split(nullIfEmpty(rest.substring(0, end)), nullIfEmpty(content));
    }

    public static ReasoningStream stream() {
        return new ReasoningStream();
    }

    static String nullIfEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String dropNewline(String s) {
        return s.startsWith("\n") ? s.substring(1) : s;
    }
}
