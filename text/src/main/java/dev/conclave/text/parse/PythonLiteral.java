package dev.conclave.text.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The subset of Python's {@code ast.literal_eval} that models write as tool arguments (spec §8.2 step 4):
 * None/True/False, numbers, '…' and "…" strings, lists, tuples and dicts with string keys. Anything else
 * is not a literal ({@code null}), and the caller keeps the raw text.
 */
final class PythonLiteral {
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private final String text;
    private int pos;

    private PythonLiteral(String text) {
        this.text = text;
    }

    static JsonNode parse(String text) {
        PythonLiteral parser = new PythonLiteral(text);
        try {
            JsonNode value = parser.value();
            parser.skipSpace();
            return parser.pos == text.length() ? value : null;
        } catch (NotALiteral e) {
            return null;
        }
    }

    private static final class NotALiteral extends Exception {
        NotALiteral() {
            super(null, null, false, false);
        }
    }

    private JsonNode value() throws NotALiteral {
        skipSpace();
        if (pos >= text.length()) {
            throw new NotALiteral();
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '[' -> sequence(']');
            case '(' -> sequence(')');
            case '{' -> dict();
            case '\'', '"' -> NODES.textNode(string());
            default -> c == '-' || c == '+' || Character.isDigit(c) || c == '.' ? number() : keyword();
        };
    }

    private ArrayNode sequence(char close) throws NotALiteral {
        pos++;
        ArrayNode array = NODES.arrayNode();
        while (true) {
            skipSpace();
            if (accept(close)) {
                return array;
            }
            array.add(value());
            skipSpace();
            if (!accept(',')) {
                expect(close);
                return array;
            }
        }
    }

    private ObjectNode dict() throws NotALiteral {
        pos++;
        ObjectNode object = NODES.objectNode();
        while (true) {
            skipSpace();
            if (accept('}')) {
                return object;
            }
            if (pos >= text.length() || (text.charAt(pos) != '\'' && text.charAt(pos) != '"')) {
                throw new NotALiteral();
            }
            String key = string();
            skipSpace();
            expect(':');
            object.set(key, value());
            skipSpace();
            if (!accept(',')) {
                expect('}');
                return object;
            }
        }
    }

    private String string() throws NotALiteral {
        char quote = text.charAt(pos++);
        StringBuilder out = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == quote) {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= text.length()) {
                break;
            }
            char e = text.charAt(pos++);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case '0' -> out.append('\0');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw new NotALiteral();
                    }
                    try {
                        out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException x) {
                        throw new NotALiteral();
                    }
                    pos += 4;
                }
                case '\\', '\'', '"' -> out.append(e);
                default -> out.append('\\').append(e);
            }
        }
        throw new NotALiteral();
    }

    private JsonNode number() throws NotALiteral {
        int start = pos;
        while (pos < text.length() && "+-0123456789.eE_".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
        String literal = text.substring(start, pos).replace("_", "");
        try {
            if (literal.matches("[+-]?0\\d+")) {
                throw new NotALiteral();
            }
            if (literal.matches("[+-]?\\d+")) {
                return NODES.numberNode(new BigInteger(literal));
            }
            return NODES.numberNode(new BigDecimal(literal));
        } catch (NumberFormatException e) {
            throw new NotALiteral();
        }
    }

    private JsonNode keyword() throws NotALiteral {
        for (String word : new String[] {"None", "True", "False"}) {
            if (text.startsWith(word, pos)) {
                pos += word.length();
                return switch (word) {
                    case "None" -> NODES.nullNode();
                    case "True" -> NODES.booleanNode(true);
                    default -> NODES.booleanNode(false);
                };
            }
        }
        throw new NotALiteral();
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private boolean accept(char c) {
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) throws NotALiteral {
        if (!accept(c)) {
            throw new NotALiteral();
        }
    }
}
