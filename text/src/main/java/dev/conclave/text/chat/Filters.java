package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** jinja2's built-in filters that chat templates use, plus Hugging Face's {@code tojson}. */
final class Filters {
    private static final Set<String> NAMES = Set.of("tojson", "length", "count", "trim", "string", "items", "first",
            "last", "join", "default", "d", "lower", "upper", "capitalize", "title", "replace", "list", "int",
            "float", "abs", "round", "safe", "escape", "e", "map", "select", "reject", "selectattr", "rejectattr",
            "reverse", "sort", "unique", "sum", "min", "max", "indent", "wordcount");

    private Filters() {
    }

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    /** Positional and keyword arguments of one filter call, looked up the way Python binds parameters. */
    record Args(List<Object> positional, Map<String, Object> keywords) {
        Object get(int index, String name, Object fallback) {
            if (index >= 0 && index < positional.size()) return positional.get(index);
            return keywords.containsKey(name) ? keywords.get(name) : fallback;
        }
    }

    static Object apply(String name, Object v, Args a) {
        return switch (name) {
            case "tojson" -> tojson(v, a);
            case "length", "count" -> Py.length(v);
            case "trim" -> Methods.strip(Py.str(v), (String) a.get(0, "chars", null), true, true);
            case "string" -> Py.str(v);
            case "items" -> v instanceof Undefined ? List.of() : Methods.bind(mapping(v), "items").call(List.of(), Map.of());
            case "first" -> {
                List<Object> items = Py.iterate(v);
                yield items.isEmpty() ? new Undefined("no first item, sequence was empty") : items.getFirst();
            }
            case "last" -> {
                List<Object> items = Py.iterate(v);
                yield items.isEmpty() ? new Undefined("no last item, sequence was empty") : items.getLast();
            }
            case "join" -> join(v, a);
            case "default", "d" -> {
                boolean onFalsey = Py.truthy(a.get(1, "boolean", false));
                yield v instanceof Undefined || (onFalsey && !Py.truthy(v)) ? a.get(0, "default_value", "") : v;
            }
            case "lower" -> Py.str(v).toLowerCase();
            case "upper" -> Py.str(v).toUpperCase();
            case "capitalize" -> Py.str(v).isEmpty() ? "" : Methods.bind(Py.str(v), "capitalize").call(List.of(), Map.of());
            case "title" -> Methods.title(Py.str(v));
            case "replace" -> Methods.replace(Py.str(v), Py.str(a.get(0, "old", "")), Py.str(a.get(1, "new", "")),
                    a.get(2, "count", null) == null ? -1 : Py.toLong(a.get(2, "count", null)));
            case "list" -> Py.iterate(v);
            case "int" -> toInt(v, a.get(0, "default", 0L));
            case "float" -> toFloat(v, a.get(0, "default", 0.0));
            case "abs" -> Py.isFloat(v) ? (Object) Math.abs(Py.toDouble(v)) : (Object) Math.abs(Py.toLong(v));
            case "round" -> round(Py.toDouble(v), (int) Py.toLong(a.get(0, "precision", 0L)),
                    Py.str(a.get(1, "method", "common")));
            case "safe" -> v;
            case "escape", "e" -> escape(Py.str(v));
            case "map" -> map(v, a);
            case "select", "reject" -> select(v, a, name.equals("select"), false);
            case "selectattr", "rejectattr" -> select(v, a, name.equals("selectattr"), true);
            case "reverse" -> v instanceof String s ? new StringBuilder(s).reverse().toString() : reversed(v);
            case "sort" -> sort(v, a);
            case "unique" -> unique(v);
            case "sum" -> sum(v);
            case "min", "max" -> extreme(v, name.equals("max"));
            case "indent" -> indent(Py.str(v), a);
            case "wordcount" -> (long) Methods.split(Py.str(v), null, -1).size();
            default -> throw new IllegalStateException(name);
        };
    }

    private static Map<?, ?> mapping(Object v) {
        if (v instanceof Map<?, ?> m) return m;
        throw new IllegalArgumentException("can only get item pairs from a mapping");
    }

    /** Hugging Face's tojson: {@code json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}. */
    private static String tojson(Object v, Args a) {
        Object indent = a.get(1, "indent", null);
        String indentString = indent == null ? null : indent instanceof String s ? s : " ".repeat((int) Py.toLong(indent));
        Object separators = a.get(2, "separators", null);
        List<String> seps = separators == null ? null : Py.iterate(separators).stream().map(Py::str).toList();
        PyJson json = new PyJson(Py.truthy(a.get(0, "ensure_ascii", false)), indentString, seps,
                Py.truthy(a.get(3, "sort_keys", false)));
        return json.dumps(v);
    }

    private static String join(Object v, Args a) {
        String sep = Py.str(a.get(0, "d", ""));
        Object attribute = a.get(1, "attribute", null);
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : Py.iterate(v)) {
            if (!first) out.append(sep);
            first = false;
            out.append(Py.str(attribute == null ? item : Access.item(item, attribute)));
        }
        return out.toString();
    }

    private static Object toInt(Object v, Object fallback) {
        if (Py.isInt(v)) return v;
        if (Py.isFloat(v)) return (long) Py.toDouble(v);
        if (v instanceof Boolean b) return b ? 1L : 0L;
        try {
            return Long.parseLong(Py.str(v).strip().replace("_", ""));
        } catch (NumberFormatException e) {
            try {
                return (long) Double.parseDouble(Py.str(v).strip());
            } catch (NumberFormatException e2) {
                return fallback;
            }
        }
    }

    private static Object toFloat(Object v, Object fallback) {
        if (Py.isNumeric(v)) return Py.toDouble(v);
        try {
            return Double.parseDouble(Py.str(v).strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static double round(double v, int precision, String method) {
        double scale = Math.pow(10, precision);
        return switch (method) {
            case "ceil" -> Math.ceil(v * scale) / scale;
            case "floor" -> Math.floor(v * scale) / scale;
            default -> new java.math.BigDecimal(Double.toString(v))
                    .setScale(precision, java.math.RoundingMode.HALF_EVEN).doubleValue();
        };
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&#34;").replace("'", "&#39;");
    }

    private static List<Object> map(Object v, Args a) {
        List<Object> out = new ArrayList<>();
        Object attribute = a.keywords().get("attribute");
        for (Object item : Py.iterate(v)) {
            if (attribute != null) {
                Object value = Access.item(item, attribute);
                out.add(value instanceof Undefined && a.keywords().containsKey("default") ? a.keywords().get("default") : value);
            } else {
                String filter = Py.str(a.positional().getFirst());
                Args rest = new Args(a.positional().subList(1, a.positional().size()), a.keywords());
                out.add(apply(filter, item, rest));
            }
        }
        return out;
    }

    /** select/reject apply a test to each item; selectattr/rejectattr to an attribute of each item. */
    private static List<Object> select(Object v, Args a, boolean keep, boolean byAttribute) {
        List<Object> args = a.positional();
        int testAt = byAttribute ? 1 : 0;
        String test = args.size() > testAt ? Py.str(args.get(testAt)) : null;
        List<Object> testArgs = args.size() > testAt + 1 ? args.subList(testAt + 1, args.size()) : List.of();
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            Object subject = byAttribute ? Access.item(item, args.getFirst()) : item;
            boolean passed = test == null ? Py.truthy(subject) : Tests.apply(test, subject, testArgs);
            if (passed == keep) out.add(item);
        }
        return out;
    }

    private static List<Object> reversed(Object v) {
        List<Object> items = Py.iterate(v);
        return items.reversed();
    }

    private static List<Object> sort(Object v, Args a) {
        boolean reverse = Py.truthy(a.get(0, "reverse", false));
        Object attribute = a.get(2, "attribute", null);
        List<Object> items = Py.iterate(v);
        items.sort((x, y) -> attribute == null ? Py.compare(x, y)
                : Py.compare(Access.item(x, attribute), Access.item(y, attribute)));
        return reverse ? items.reversed() : items;
    }

    private static List<Object> unique(Object v) {
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            if (!Py.contains(out, item)) out.add(item);
        }
        return out;
    }

    private static Object sum(Object v) {
        Object total = 0L;
        for (Object item : Py.iterate(v)) total = Operators.binary("+", total, item);
        return total;
    }

    private static Object extreme(Object v, boolean max) {
        List<Object> items = Py.iterate(v);
        if (items.isEmpty()) return new Undefined("no " + (max ? "max" : "min") + " item, sequence was empty");
        Object best = items.getFirst();
        for (Object item : items) {
            int c = Py.compare(item, best);
            if (max ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    private static String indent(String s, Args a) {
        Object width = a.get(0, "width", 4L);
        String pad = width instanceof String w ? w : " ".repeat((int) Py.toLong(width));
        boolean first = Py.truthy(a.get(1, "first", false));
        boolean blank = Py.truthy(a.get(2, "blank", false));
        String[] lines = s.split("\n", -1);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) out.append('\n');
            boolean pads = (i > 0 || first) && (blank || !lines[i].isBlank());
            out.append(pads ? pad : "").append(lines[i]);
        }
        return out.toString();
    }
}
