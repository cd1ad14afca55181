package dev.conclave.text.parse;

/**
 * JSON string escaping that works character by character, so escaping pieces of a string and joining them
 * gives the same text as escaping the whole string: that is what lets a string argument stream while it is
 * still being generated. Non-ASCII is written as is (valid JSON, and readable in logs).
 */
final class JsonText {
    private JsonText() {
    }

    static void appendEscaped(StringBuilder out, CharSequence s) {
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
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        appendEscaped(out, s);
        return out.append('"').toString();
    }
}
