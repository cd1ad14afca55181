package dev.conclave.training.tasks;

/**
 * The calculator tool behind {@link CalculatorCall}: integer arithmetic with {@code + - *}, unary minus,
 * parentheses and the usual precedence, exact in 64 bits (an overflow is an error, never a wrong result).
 *
 * <pre>
 *   expr   := term (('+' | '-') term)*
 *   term   := factor ('*' factor)*
 *   factor := '-' factor | '(' expr ')' | digits
 * </pre>
 */
public final class Calculator {
    private final String text;
    private int at;

    private Calculator(String text) {
        this.text = text;
    }

    public static long evaluate(String expression) {
        Calculator c = new Calculator(expression);
        long value = c.expr();
        c.skipSpace();
        if (c.at != expression.length()) {
            throw c.error("unexpected '" + expression.charAt(c.at) + "'");
        }
        return value;
    }

    private long expr() {
        long value = term();
        while (true) {
            if (accept('+')) {
                value = Math.addExact(value, term());
            } else if (accept('-')) {
                value = Math.subtractExact(value, term());
            } else {
                return value;
            }
        }
    }

    private long term() {
        long value = factor();
        while (accept('*')) {
            value = Math.multiplyExact(value, factor());
        }
        return value;
    }

    private long factor() {
        if (accept('-')) {
            return Math.negateExact(factor());
        }
        if (accept('(')) {
            long value = expr();
            if (!accept(')')) {
                throw error("missing ')'");
            }
            return value;
        }
        skipSpace();
        int start = at;
        while (at < text.length() && Character.isDigit(text.charAt(at)) && text.charAt(at) < 128) {
            at++;
        }
        if (start == at) {
            throw error(at < text.length() ? "unexpected '" + text.charAt(at) + "'" : "expression ends early");
        }
        try {
            return Long.parseLong(text, start, at, 10);
        } catch (NumberFormatException e) {
            throw error("number too large");
        }
    }

    private boolean accept(char c) {
        skipSpace();
        if (at < text.length() && text.charAt(at) == c) {
            at++;
            return true;
        }
        return false;
    }

    private void skipSpace() {
        while (at < text.length() && text.charAt(at) == ' ') {
            at++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("calculator: " + what + " at position " + at + " in '" + text + "'");
    }
}
