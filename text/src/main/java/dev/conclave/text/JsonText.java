package dev.conclave.text;

/**
 * JSON string escaping that works character by character, so escaping pieces of a string and joining them
 * gives the same text as escaping the whole string: that is what lets a string argument stream while it is
 * still being generated. Control characters use Python's json.dumps spelling; non-ASCII is written as is
 * unless {@code ensureAscii} asks for backslash-u escapes, as json.dumps's default does.
 */
public final class JsonText {
    private JsonText() {
    }

    public static void appendEscaped(StringBuilder out, CharSequence s) {
        appendEscaped(out, s, false);
    }

    public static void appendEscaped(StringBuilder out, CharSequence s, boolean ensureAscii) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    public static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        appendEscaped(out, s);
        return out.append('"').toString();
    }
}
