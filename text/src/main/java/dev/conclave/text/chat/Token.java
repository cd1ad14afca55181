package dev.conclave.text.chat;

/** One lexical unit: raw template text, a tag delimiter, or a piece of an expression inside a tag. */
record Token(Kind kind, String text, Pos pos) {
    enum Kind { DATA, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    boolean is(Kind k, String value) {
        return kind == k && text.equals(value);
    }

    boolean isOperator(String value) {
        return is(Kind.OPERATOR, value);
    }

    boolean isName(String value) {
        return is(Kind.NAME, value);
    }
}
