package dev.conclave.text.chat;

/**
 * jinja2's default {@code Undefined}: what a missing variable, key or attribute evaluates to. It is falsey,
 * renders as "", iterates as empty and has length 0, but any attribute access, arithmetic or comparison on it is
 * an error naming what was missing.
 */
record Undefined(String hint) {
    static Undefined name(String name) {
        return new Undefined("'" + name + "' is undefined");
    }

    /** The error for using this value where jinja2 raises UndefinedError; the interpreter adds the position. */
    IllegalArgumentException error() {
        return new IllegalArgumentException(hint);
    }
}
