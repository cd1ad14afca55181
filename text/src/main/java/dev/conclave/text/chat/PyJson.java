package dev.conclave.text.chat;

import dev.conclave.text.JsonText;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps}, byte for byte, because Hugging Face's {@code tojson} filter is json.dumps and the
 * rendered tool schemas are part of the prompt the model was trained on.
 */
final class PyJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    /**
     * @param indent null for single-line output, otherwise the string added per nesting level
     * @param separators null for Python's defaults: ", " and ": ", or "," and ": " when indenting
     */
    PyJson(boolean ensureAscii, String indent, List<String> separators, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = separators != null ? separators.get(0) : indent != null ? "," : ", ";
        this.keySeparator = separators != null ? separators.get(1) : ": ";
        this.sortKeys = sortKeys;
    }

    String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 0);
        return out.toString();
    }

    private void write(Object v, StringBuilder out, int level) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (Py.isInt(v)) {
            out.append(v);
        } else if (Py.isFloat(v)) {
            out.append(floatJson(((Number) v).doubleValue()));
        } else if (v instanceof String s) {
            string(s, out);
        } else if (v instanceof List<?> list) {
            array(list, out, level);
        } else if (v instanceof Map<?, ?> map) {
            object(map, out, level);
        } else if (v instanceof Namespace ns) {
            object(ns.attributes, out, level);
        } else {
            throw new IllegalArgumentException("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private static String floatJson(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return Py.floatRepr(d);
    }

    private void array(List<?> list, StringBuilder out, int level) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) out.append(itemSeparator);
            newline(out, level + 1);
            write(list.get(i), out, level + 1);
        }
        newline(out, level);
        out.append(']');
    }

    private void object(Map<?, ?> map, StringBuilder out, int level) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (sortKeys) entries.sort((a, b) -> Py.compare(a.getKey(), b.getKey()));
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : entries) {
            if (!first) out.append(itemSeparator);
            first = false;
            newline(out, level + 1);
            string(key(e.getKey()), out);
            out.append(keySeparator);
            write(e.getValue(), out, level + 1);
        }
        newline(out, level);
        out.append('}');
    }

    /** json.dumps turns int, float, bool and None keys into strings and rejects everything else. */
    private static String key(Object k) {
        if (k instanceof String s) return s;
        if (k == null) return "null";
        if (k instanceof Boolean b) return b ? "true" : "false";
        if (Py.isInt(k)) return k.toString();
        if (Py.isFloat(k)) return floatJson(((Number) k).doubleValue());
        throw new IllegalArgumentException("keys must be str, int, float, bool or None, not " + Py.typeName(k));
    }

    private void newline(StringBuilder out, int level) {
        if (indent == null) return;
        out.append('\n');
        out.append(indent.repeat(level));
    }

    private void string(String s, StringBuilder out) {
        out.append('"');
        JsonText.appendEscaped(out, s, ensureAscii);
        out.append('"');
    }
}
