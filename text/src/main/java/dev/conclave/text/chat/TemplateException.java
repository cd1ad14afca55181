package dev.conclave.text.chat;

/**
 * A template that cannot be compiled or rendered: syntax errors, type errors, undefined-variable misuse and
 * {@code raise_exception(...)} calls from the template itself. The position points into the template source so
 * a checkpoint author can find the offending tag.
 */
public final class TemplateException extends RuntimeException {
    private final String reason;
    private final int line;
    private final int column;

    TemplateException(String reason, Pos pos) {
        super(reason + " (" + pos + ")");
        this.reason = reason;
        this.line = pos.line();
        this.column = pos.column();
    }

    /** The message without the position, e.g. the argument of {@code raise_exception}. */
    public String reason() {
        return reason;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
