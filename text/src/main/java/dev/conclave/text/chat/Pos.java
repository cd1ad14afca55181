package dev.conclave.text.chat;

/** A 1-based line and column in the template source, carried by every token and AST node for error reports. */
record Pos(int line, int column) {
    @Override
    public String toString() {
        return "line " + line + ", column " + column;
    }
}
