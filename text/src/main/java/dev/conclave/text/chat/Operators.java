package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.List;

/** Python's arithmetic operators on template values: int stays int, / always yields float, // and % floor. */
final class Operators {
    private Operators() {
    }

    static Object binary(String op, Object a, Object b) {
        if (a instanceof Undefined u) throw u.error();
        if (b instanceof Undefined u) throw u.error();
        if (Py.isNumeric(a) && Py.isNumeric(b)) return numeric(op, a, b);
        switch (op) {
            case "+" -> {
                if (a instanceof String x && b instanceof String y) return x + y;
                if (a instanceof List<?> x && b instanceof List<?> y && (x instanceof Tuple) == (y instanceof Tuple)) {
                    List<Object> joined = new ArrayList<>(x);
                    joined.addAll(y);
                    return x instanceof Tuple ? new Tuple(joined) : joined;
                }
            }
            case "*" -> {
                if (Py.isInt(b) || b instanceof Boolean) return repeat(a, Py.toLong(b));
                if (Py.isInt(a) || a instanceof Boolean) return repeat(b, Py.toLong(a));
            }
            default -> { }
        }
        throw unsupported(op, a, b);
    }

    private static IllegalArgumentException unsupported(String op, Object a, Object b) {
        return new IllegalArgumentException("unsupported operand type(s) for " + op + ": '" + Py.typeName(a)
                + "' and '" + Py.typeName(b) + "'");
    }

    private static Object repeat(Object v, long times) {
        if (v instanceof String s) return s.repeat((int) Math.max(0, times));
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (long i = 0; i < times; i++) out.addAll(list);
            return list instanceof Tuple ? new Tuple(out) : out;
        }
        throw new IllegalArgumentException("can't multiply sequence of type '" + Py.typeName(v) + "'");
    }

    private static Object numeric(String op, Object a, Object b) {
        boolean floats = Py.isFloat(a) || Py.isFloat(b);
        if (op.equals("/")) {
            double divisor = Py.toDouble(b);
            if (divisor == 0) throw new IllegalArgumentException("division by zero");
            return Py.toDouble(a) / divisor;
        }
        if (floats) {
            double x = Py.toDouble(a), y = Py.toDouble(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                case "*" -> x * y;
                case "**" -> Math.pow(x, y);
                case "//" -> Math.floor(nonZero(y, x) / y);
                case "%" -> x - Math.floor(nonZero(y, x) / y) * y;
                default -> throw new IllegalStateException(op);
            };
        }
        long x = Py.toLong(a), y = Py.toLong(b);
        return switch (op) {
            case "+" -> Math.addExact(x, y);
            case "-" -> Math.subtractExact(x, y);
            case "*" -> Math.multiplyExact(x, y);
            case "**" -> y >= 0 ? (Object) power(x, y) : (Object) Math.pow(x, y);
            case "//" -> Math.floorDiv(x, (long) nonZero(y, x));
            case "%" -> Math.floorMod(x, (long) nonZero(y, x));
            default -> throw new IllegalStateException(op);
        };
    }

    private static double nonZero(double divisor, double dividend) {
        if (divisor == 0) throw new IllegalArgumentException("division by zero");
        return divisor;
    }

    private static long power(long base, long exponent) {
        long result = 1;
        for (long i = 0; i < exponent; i++) result = Math.multiplyExact(result, base);
        return result;
    }

    static Object negate(Object v) {
        if (v instanceof Undefined u) throw u.error();
        if (Py.isFloat(v)) return -Py.toDouble(v);
        if (Py.isNumeric(v)) return Math.negateExact(Py.toLong(v));
        throw new IllegalArgumentException("bad operand type for unary -: '" + Py.typeName(v) + "'");
    }
}
