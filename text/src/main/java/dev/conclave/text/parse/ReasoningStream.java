package dev.conclave.text.parse;

/**
 * Incremental form of {@link ReasoningParser}: fed text deltas cut anywhere (a tag may be split across
 * deltas), it emits reasoning and content as early as possible, holding back only text that could still
 * turn out to be a tag or one of the separator newlines the parser drops.
 */
public final class ReasoningStream {
    private enum State { START, REASONING, AFTER_CLOSE, CONTENT }

    private final StringBuilder pending = new StringBuilder();
    private State state = State.START;

    public ReasoningParser.Delta feed(String text) {
        pending.append(text);
        return drain(false);
    }

    /** Ends the output: whatever was held back is released under the rules for a complete output. */
    public ReasoningParser.Delta finish() {
        return drain(true);
    }

    private ReasoningParser.Delta drain(boolean end) {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        boolean progress = true;
        while (progress) {
            progress = switch (state) {
                case START -> start(end);
                case REASONING -> reasoning(end, reasoning);
                case AFTER_CLOSE -> afterClose(end);
                case CONTENT -> {
                    content.append(pending);
                    pending.setLength(0);
                    yield false;
                }
            };
        }
        return new ReasoningParser.Delta(reasoning.toString(), content.toString());
    }

    private boolean start(boolean end) {
        int tagAt = pending.length() > 0 && pending.charAt(0) == '\n' ? 1 : 0;
        if (Tags.startsWith(pending, tagAt, ReasoningParser.OPEN)) {
            pending.delete(0, tagAt + ReasoningParser.OPEN.length());
            state = State.REASONING;
            return true;
        }
        if (!end && Tags.isProperPrefix(pending, tagAt, ReasoningParser.OPEN)) {
            return false;
        }
        pending.delete(0, tagAt);
        state = State.CONTENT;
        return true;
    }

    private boolean reasoning(boolean end, StringBuilder out) {
        int close = pending.indexOf(ReasoningParser.CLOSE);
        if (close >= 0) {
            out.append(pending, 0, close);
            pending.delete(0, close + ReasoningParser.CLOSE.length());
            state = State.AFTER_CLOSE;
            return true;
        }
        int emit = end ? pending.length() : pending.length() - Tags.heldSuffix(pending, ReasoningParser.CLOSE);
        out.append(pending, 0, emit);
        pending.delete(0, emit);
        return false;
    }

    private boolean afterClose(boolean end) {
        if (pending.isEmpty() && !end) {
            return false;
        }
        if (!pending.isEmpty() && pending.charAt(0) == '\n') {
            pending.deleteCharAt(0);
        }
        state = State.CONTENT;
        return true;
    }
}
