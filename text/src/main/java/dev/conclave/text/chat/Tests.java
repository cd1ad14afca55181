package dev.conclave.text.chat;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** jinja2's built-in tests ({@code x is defined}, {@code x is mapping}, ...). */
final class Tests {
    private static final Set<String> NAMES = Set.of("defined", "undefined", "none", "boolean", "true", "false",
            "integer", "float", "number", "string", "mapping", "iterable", "sequence", "callable", "sameas",
            "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
            "in", "odd", "even", "divisibleby", "lower", "upper");

    private Tests() {
    }

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static boolean apply(String name, Object v, List<Object> args) {
        Object arg = args.isEmpty() ? null : args.getFirst();
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> Py.isInt(v);
            case "float" -> Py.isFloat(v);
            case "number" -> Py.isNumeric(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map;
            case "iterable" -> Py.isIterable(v);
            case "sequence" -> v instanceof String || v instanceof List || v instanceof Map;
            case "callable" -> v instanceof Callable;
            case "sameas" -> v == arg || (v instanceof Boolean && v.equals(arg));
            case "eq", "equalto", "==" -> Py.eq(v, arg);
            case "ne", "!=" -> !Py.eq(v, arg);
            case "lt", "lessthan", "<" -> Py.compare(v, arg) < 0;
            case "le", "<=" -> Py.compare(v, arg) <= 0;
            case "gt", "greaterthan", ">" -> Py.compare(v, arg) > 0;
            case "ge", ">=" -> Py.compare(v, arg) >= 0;
            case "in" -> Py.contains(arg, v);
            case "odd" -> Math.floorMod(Py.toLong(v), 2) == 1;
            case "even" -> Math.floorMod(Py.toLong(v), 2) == 0;
            case "divisibleby" -> Math.floorMod(Py.toLong(v), Py.toLong(arg)) == 0;
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase());
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase());
            default -> throw new IllegalStateException(name);
        };
    }
}
