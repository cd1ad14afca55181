package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens the way jinja2's lexer does with Hugging Face's settings ({@code trim_blocks},
 * {@code lstrip_blocks}, no trailing newline kept). Whitespace control is resolved here, on the text tokens, so
 * the parser and interpreter never see the stripped whitespace.
 */
final class Lexer {
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}"
    };

    /** What the end of the previous tag asks of the text that follows it. */
    private enum Trim { NONE, ONE_NEWLINE, ALL_WHITESPACE }

    private final String src;
    private final int[] lineStarts;
    private final List<Token> tokens = new ArrayList<>();

    private Lexer(String source) {
        this.src = normalizeNewlines(source);
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < src.length(); i++) {
            if (src.charAt(i) == '\n') starts.add(i + 1);
        }
        this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    /**
     * jinja2 rebuilds the source from {@code str.splitlines()} joined by "\n": every Python line boundary becomes
     * "\n" and one trailing boundary disappears ({@code keep_trailing_newline=False}).
     */
    private static String normalizeNewlines(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
                out.append('\n');
            } else if (c == '\u000b' || c == '\u000c' || c == '\u001c' || c == '\u001d' || c == '\u001e'
                    || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                out.append('\n');
            } else {
                out.append(c);
            }
        }
        if (!out.isEmpty() && out.charAt(out.length() - 1) == '\n') out.setLength(out.length() - 1);
        return out.toString();
    }

    private Pos pos(int offset) {
        int lo = 0, hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
        }
        return new Pos(lo + 1, offset - lineStarts[lo] + 1);
    }

    private void run() {
        int dataStart = 0;
        Trim trim = Trim.NONE;
        while (true) {
            dataStart = applyTrim(dataStart, trim);
            int tag = nextTag(dataStart);
            if (tag < 0) {
                emitData(src.substring(dataStart), dataStart);
                break;
            }
            char kind = src.charAt(tag + 1);
            char sign = tag + 2 < src.length() ? src.charAt(tag + 2) : 0;
            emitData(leadingText(dataStart, tag, kind, sign), dataStart);
            boolean hasSign = sign == '-' || (sign == '+' && kind != '{');
            int inner = tag + 2 + (hasSign ? 1 : 0);
            int[] end = new int[1];
            trim = switch (kind) {
                case '#' -> comment(tag, inner, end);
                case '%' -> tag(tag, inner, Token.Kind.BLOCK_BEGIN, Token.Kind.BLOCK_END, '%', end);
                default -> tag(tag, inner, Token.Kind.VAR_BEGIN, Token.Kind.VAR_END, '}', end);
            };
            dataStart = end[0];
        }
        tokens.add(new Token(Token.Kind.EOF, "", pos(src.length())));
    }

    private int applyTrim(int at, Trim trim) {
        return switch (trim) {
            case NONE -> at;
            case ONE_NEWLINE -> at < src.length() && src.charAt(at) == '\n' ? at + 1 : at;
            case ALL_WHITESPACE -> {
                while (at < src.length() && Py.isSpace(src.charAt(at))) at++;
                yield at;
            }
        };
    }

    private int nextTag(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** The text before a tag after "{{-"/"{%-" stripping or lstrip_blocks, which only applies to "{%" and "{#". */
    private String leadingText(int start, int tag, char kind, char sign) {
        String text = src.substring(start, tag);
        if (sign == '-') return Py.rstrip(text);
        if (sign == '+' || kind == '{') return text;
        int lineStart = text.lastIndexOf('\n') + 1;
        boolean lineStarting = start == 0 || src.charAt(start - 1) == '\n';
        if (lineStart > 0 || lineStarting) {
            for (int i = lineStart; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c != ' ' && c != '\t') return text;
            }
            return text.substring(0, lineStart);
        }
        return text;
    }

    private void emitData(String text, int offset) {
        if (!text.isEmpty()) tokens.add(new Token(Token.Kind.DATA, text, pos(offset)));
    }

    private Trim comment(int tag, int inner, int[] end) {
        int close = src.indexOf("#}", inner);
        if (close < 0) throw new TemplateException("missing end of comment tag", pos(tag));
        end[0] = close + 2;
        char before = close > inner ? src.charAt(close - 1) : 0;
        if (before == '-') return Trim.ALL_WHITESPACE;
        return before == '+' ? Trim.NONE : Trim.ONE_NEWLINE;
    }

    private Trim tag(int tag, int i, Token.Kind begin, Token.Kind endKind, char closer, int[] end) {
        tokens.add(new Token(begin, src.substring(tag, i), pos(tag)));
        int depth = 0;
        while (true) {
            while (i < src.length() && Character.isWhitespace(src.charAt(i))) i++;
            if (i >= src.length()) throw new TemplateException("unexpected end of template, unclosed tag", pos(tag));
            if (depth == 0) {
                Trim trim = closing(i, closer);
                if (trim != null) {
                    int length = trim == Trim.ALL_WHITESPACE || src.charAt(i) == '+' ? 3 : 2;
                    tokens.add(new Token(endKind, src.substring(i, i + length), pos(i)));
                    end[0] = i + length;
                    // trim_blocks removes the newline after block tags only, never after "}}".
                    return endKind == Token.Kind.VAR_END && trim == Trim.ONE_NEWLINE ? Trim.NONE : trim;
                }
            }
            char c = src.charAt(i);
            if (Character.isLetter(c) || c == '_') {
                i = name(i);
            } else if (Character.isDigit(c)) {
                i = number(i);
            } else if (c == '\'' || c == '"') {
                i = string(i);
            } else {
                String op = operator(i);
                if (op.equals("(") || op.equals("[") || op.equals("{")) depth++;
                if (op.equals(")") || op.equals("]") || op.equals("}")) depth--;
                tokens.add(new Token(Token.Kind.OPERATOR, op, pos(i)));
                i += op.length();
            }
        }
    }

    /** Recognizes "-X}", "+%}" and "X}" at {@code i}, returning what the tag end does to the following text. */
    private Trim closing(int i, char closer) {
        String plain = closer + "}";
        if (src.startsWith("-" + plain, i)) return Trim.ALL_WHITESPACE;
        if (closer == '%' && src.startsWith("+" + plain, i)) return Trim.NONE;
        if (src.startsWith(plain, i)) return Trim.ONE_NEWLINE;
        return null;
    }

    private int name(int i) {
        int start = i;
        while (i < src.length() && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) i++;
        tokens.add(new Token(Token.Kind.NAME, src.substring(start, i), pos(start)));
        return i;
    }

    private int number(int i) {
        int start = i;
        i = digits(i);
        boolean isFloat = false;
        if (i + 1 < src.length() && src.charAt(i) == '.' && Character.isDigit(src.charAt(i + 1))) {
            isFloat = true;
            i = digits(i + 1);
        }
        if (i < src.length() && (src.charAt(i) == 'e' || src.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < src.length() && (src.charAt(j) == '+' || src.charAt(j) == '-')) j++;
            if (j < src.length() && Character.isDigit(src.charAt(j))) {
                isFloat = true;
                i = digits(j);
            }
        }
        String text = src.substring(start, i).replace("_", "");
        tokens.add(new Token(isFloat ? Token.Kind.FLOAT : Token.Kind.INTEGER, text, pos(start)));
        return i;
    }

    private int digits(int i) {
        while (i < src.length() && (Character.isDigit(src.charAt(i)) || src.charAt(i) == '_')) i++;
        return i;
    }

    /** A Python string literal; the token text is the unescaped value. */
    private int string(int start) {
        char quote = src.charAt(start);
        StringBuilder value = new StringBuilder();
        int i = start + 1;
        while (true) {
            if (i >= src.length()) throw new TemplateException("unterminated string", pos(start));
            char c = src.charAt(i);
            if (c == quote) break;
            if (c == '\\' && i + 1 < src.length()) {
                i = escape(i + 1, value);
            } else {
                value.append(c);
                i++;
            }
        }
        tokens.add(new Token(Token.Kind.STRING, value.toString(), pos(start)));
        return i + 1;
    }

    private int escape(int i, StringBuilder value) {
        char c = src.charAt(i);
        switch (c) {
            case 'n' -> value.append('\n');
            case 't' -> value.append('\t');
            case 'r' -> value.append('\r');
            case 'b' -> value.append('\b');
            case 'f' -> value.append('\f');
            case 'v' -> value.append('\u000b');
            case 'a' -> value.append('\u0007');
            case '0' -> value.append('\0');
            case '\\', '\'', '"' -> value.append(c);
            case '\n' -> { }
            case 'x' -> { return hex(i, 2, value); }
            case 'u' -> { return hex(i, 4, value); }
            case 'U' -> { return hex(i, 8, value); }
            default -> value.append('\\').append(c);
        }
        return i + 1;
    }

    private int hex(int i, int length, StringBuilder value) {
        if (i + 1 + length > src.length()) throw new TemplateException("truncated escape", pos(i));
        try {
            value.appendCodePoint(Integer.parseInt(src.substring(i + 1, i + 1 + length), 16));
        } catch (IllegalArgumentException e) {
            throw new TemplateException("invalid escape", pos(i));
        }
        return i + 1 + length;
    }

    private String operator(int i) {
        for (String op : OPERATORS) {
            if (src.startsWith(op, i)) return op;
        }
        throw new TemplateException("unexpected character '" + src.charAt(i) + "'", pos(i));
    }
}
