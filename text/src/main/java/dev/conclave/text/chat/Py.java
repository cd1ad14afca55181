package dev.conclave.text.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics over Java values, since templates are written against Python: None is {@code null},
 * int is any integral {@link Number}, float is {@link Double}/{@link Float}/{@link BigDecimal}, list is
 * {@link List}, dict is {@link Map}. Errors are plain {@link IllegalArgumentException}s; the interpreter adds
 * the template position.
 */
final class Py {
    private Py() {
    }

    /** Python's {@code str.isspace} for one character: Java's whitespace plus no-break spaces (category Zs). */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Python's {@code str.rstrip()} without arguments. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) end--;
        return s.substring(0, end);
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger;
    }

    static boolean isFloat(Object v) {
        return v instanceof Double || v instanceof Float || v instanceof BigDecimal;
    }

    /** Python's bool is an int, so it takes part in arithmetic and numeric equality. */
    static boolean isNumeric(Object v) {
        return isInt(v) || isFloat(v) || v instanceof Boolean;
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (isInt(v)) return ((Number) v).longValue();
        throw new IllegalArgumentException("'" + typeName(v) + "' object cannot be interpreted as an integer");
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).doubleValue();
    }

    static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof String) return "str";
        if (v instanceof Boolean) return "bool";
        if (isInt(v)) return "int";
        if (isFloat(v)) return "float";
        if (v instanceof List) return "list";
        if (v instanceof Map) return "dict";
        if (v instanceof Undefined) return "Undefined";
        if (v instanceof Namespace) return "Namespace";
        if (v instanceof Callable) return "function";
        return v.getClass().getSimpleName();
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) return false;
        if (v instanceof Boolean b) return b;
        if (isInt(v)) return v instanceof BigInteger b ? b.signum() != 0 : ((Number) v).longValue() != 0;
        if (isFloat(v)) return ((Number) v).doubleValue() != 0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof Collection<?> c) return !c.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    /** Python's {@code str()}, which is also how {@code {{ }}} renders a value (undefined renders as ""). */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Undefined) return "";
        return repr(v);
    }

    static String repr(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (isInt(v)) return v.toString();
        if (isFloat(v)) return floatRepr(((Number) v).doubleValue());
        if (v instanceof String s) return stringRepr(s);
        if (v instanceof Undefined) return "";
        if (v instanceof List<?> list) {
            StringBuilder out = new StringBuilder(list instanceof Tuple ? "(" : "[");
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) out.append(", ");
                out.append(repr(list.get(i)));
            }
            if (list instanceof Tuple && list.size() == 1) out.append(',');
            return out.append(list instanceof Tuple ? ")" : "]").toString();
        }
        if (v instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) out.append(", ");
                first = false;
                out.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return out.append('}').toString();
        }
        return v.toString();
    }

    private static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder out = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c == quote) out.append('\\').append(c);
                    else if (c < 0x20 || c == 0x7f) out.append(String.format("\\x%02x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append(quote).toString();
    }

    /**
     * Python's {@code float.__repr__}: the shortest digits that round-trip (what {@link Double#toString} yields
     * since JDK 19), positional for decimal exponents -4..15 and scientific otherwise.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = exact.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - exact.scale();
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            String exp = String.format("%02d", Math.abs(exponent));
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
        }
        if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
        if (digits.length() <= exponent + 1) return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }

    static boolean eq(Object a, Object b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
        if (isNumeric(a) && isNumeric(b)) {
            if (isFloat(a) || isFloat(b)) return toDouble(a) == toDouble(b);
            return toBig(a).equals(toBig(b));
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size() || (x instanceof Tuple) != (y instanceof Tuple)) return false;
            for (int i = 0; i < x.size(); i++) {
                if (!eq(x.get(i), y.get(i))) return false;
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                Object key = findKey(y, e.getKey());
                if (key == MISSING || !eq(e.getValue(), y.get(key))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    private static BigInteger toBig(Object v) {
        return v instanceof BigInteger b ? b : BigInteger.valueOf(toLong(v));
    }

    /** Marks an absent dict key, since null is a legitimate key value (None). */
    static final Object MISSING = new Object();

    /** The key of {@code map} equal to {@code key} in Python's sense (1 finds 1L), or {@link #MISSING}. */
    static Object findKey(Map<?, ?> map, Object key) {
        if (map.containsKey(key)) return key;
        if (key instanceof String) return MISSING;
        for (Object k : map.keySet()) {
            if (eq(k, key)) return k;
        }
        return MISSING;
    }

    static int compare(Object a, Object b) {
        if (isNumeric(a) && isNumeric(b)) {
            if (isFloat(a) || isFloat(b)) return Double.compare(toDouble(a), toDouble(b));
            return toBig(a).compareTo(toBig(b));
        }
        if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i));
            }
            return Integer.compare(x.size(), y.size());
        }
        throw new IllegalArgumentException("'<' not supported between instances of '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    private static int compareCodePoints(String x, String y) {
        int i = 0, j = 0;
        while (i < x.length() && j < y.length()) {
            int cx = x.codePointAt(i), cy = y.codePointAt(j);
            if (cx != cy) return Integer.compare(cx, cy);
            i += Character.charCount(cx);
            j += Character.charCount(cy);
        }
        return Integer.compare(x.length() - i, y.length() - j);
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            if (!(item instanceof String sub)) {
                throw new IllegalArgumentException("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return s.contains(sub);
        }
        if (container instanceof List<?> list) {
            for (Object o : list) {
                if (eq(o, item)) return true;
            }
            return false;
        }
        if (container instanceof Map<?, ?> map) return findKey(map, item) != MISSING;
        if (container instanceof Namespace ns) return ns.attributes.containsKey(item);
        throw new IllegalArgumentException("argument of type '" + typeName(container) + "' is not iterable");
    }

    /** The items a for loop visits: dict keys, string characters, list elements; undefined is empty. */
    static List<Object> iterate(Object v) {
        if (v instanceof Undefined) return List.of();
        if (v instanceof List<?> list) return new ArrayList<>(list);
        if (v instanceof Map<?, ?> map) return new ArrayList<>(map.keySet());
        if (v instanceof String s) return new ArrayList<>(s.codePoints().mapToObj(Character::toString).toList());
        throw new IllegalArgumentException("'" + typeName(v) + "' object is not iterable");
    }

    static long length(Object v) {
        if (v instanceof Undefined) return 0;
        if (v instanceof String s) return s.codePointCount(0, s.length());
        if (v instanceof Collection<?> c) return c.size();
        if (v instanceof Map<?, ?> m) return m.size();
        throw new IllegalArgumentException("object of type '" + typeName(v) + "' has no len()");
    }

    static boolean isIterable(Object v) {
        return v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
    }
}
