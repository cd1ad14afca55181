package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** jinja2's attribute and item lookup: {@code a.b} tries the attribute then the item, {@code a[b]} the reverse. */
final class Access {
    private Access() {
    }

    static Object attribute(Object obj, String name) {
        if (obj instanceof Undefined u) throw u.error();
        if (obj instanceof Namespace ns) {
            return ns.attributes.containsKey(name) ? ns.attributes.get(name) : new Undefined("namespace has no attribute '" + name + "'");
        }
        if (obj instanceof Loop loop) return loop.attribute(name);
        Callable method = Methods.bind(obj, name);
        if (method != null) return method;
        return item(obj, name, false);
    }

    static Object item(Object obj, Object key) {
        return item(obj, key, true);
    }

    private static Object item(Object obj, Object key, boolean thenAttribute) {
        if (obj instanceof Undefined u) throw u.error();
        if (obj instanceof Map<?, ?> map) {
            Object found = Py.findKey(map, key);
            if (found != Py.MISSING) return map.get(found);
        } else if (obj instanceof List<?> list && isIndex(key)) {
            long i = index(Py.toLong(key), list.size());
            if (i >= 0) return list.get((int) i);
        } else if (obj instanceof String s && isIndex(key)) {
            int[] codePoints = s.codePoints().toArray();
            long i = index(Py.toLong(key), codePoints.length);
            if (i >= 0) return Character.toString(codePoints[(int) i]);
        }
        if (thenAttribute && key instanceof String name && !(obj instanceof Map)) return attribute(obj, name);
        return new Undefined("'" + Py.typeName(obj) + " object' has no attribute " + Py.repr(key));
    }

    private static boolean isIndex(Object key) {
        return Py.isInt(key) || key instanceof Boolean;
    }

    /** A Python index resolved against {@code size}, or -1 when out of range. */
    private static long index(long i, int size) {
        long resolved = i < 0 ? i + size : i;
        return resolved >= 0 && resolved < size ? resolved : -1;
    }

    /** Python slicing of lists and strings (by code point), with negative and omitted bounds. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        long stepValue = step == null ? 1 : Py.toLong(step);
        if (stepValue == 0) throw new IllegalArgumentException("slice step cannot be zero");
        List<Object> items = obj instanceof String s
                ? new ArrayList<>(s.codePoints().mapToObj(Character::toString).toList())
                : obj instanceof List<?> list ? new ArrayList<>(list) : null;
        if (items == null) throw new IllegalArgumentException("'" + Py.typeName(obj) + "' object is not subscriptable");
        int n = items.size();
        long lo = bound(start, n, stepValue, true);
        long hi = bound(stop, n, stepValue, false);
        List<Object> out = new ArrayList<>();
        for (long i = lo; stepValue > 0 ? i < hi : i > hi; i += stepValue) out.add(items.get((int) i));
        if (obj instanceof String) return String.join("", out.stream().map(String.class::cast).toList());
        return obj instanceof Tuple ? new Tuple(out) : out;
    }

    private static long bound(Object value, int n, long step, boolean isStart) {
        if (value == null) return step > 0 ? (isStart ? 0 : n) : (isStart ? n - 1 : -1);
        long v = Py.toLong(value);
        if (v < 0) v += n;
        if (step > 0) return Math.clamp(v, 0, n);
        return Math.clamp(v, -1, n - 1);
    }
}
