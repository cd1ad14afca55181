package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates call on strings, dicts and lists. Only side-effect-free methods: Hugging Face
 * renders in jinja2's immutable sandbox, which forbids {@code list.append} and {@code dict.update}.
 */
final class Methods {
    private static final Set<String> STRING = Set.of("startswith", "endswith", "split", "rsplit", "strip", "lstrip",
            "rstrip", "replace", "lower", "upper", "title", "capitalize", "find", "rfind", "count", "join",
            "splitlines", "isdigit", "isspace", "isalpha", "isalnum", "islower", "isupper");
    private static final Set<String> DICT = Set.of("items", "keys", "values", "get");
    private static final Set<String> LIST = Set.of("index", "count");

    private Methods() {
    }

    /** The bound method {@code receiver.name}, or null if Python would have no such attribute. */
    static Callable bind(Object receiver, String name) {
        boolean known = receiver instanceof String ? STRING.contains(name)
                : receiver instanceof Map ? DICT.contains(name)
                : receiver instanceof List && LIST.contains(name);
        return known ? (args, kwargs) -> call(receiver, name, args) : null;
    }

    private static Object call(Object receiver, String name, List<Object> args) {
        return switch (receiver) {
            case String s -> string(s, name, args);
            case Map<?, ?> m -> dict(m, name, args);
            case List<?> l -> list(l, name, args);
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object arg(List<Object> args, int i) {
        return i < args.size() ? args.get(i) : null;
    }

    private static String stringArg(List<Object> args, int i, String method) {
        Object v = arg(args, i);
        if (v instanceof String s) return s;
        throw new IllegalArgumentException(method + "() argument must be str, not " + Py.typeName(v));
    }

    private static Object string(String s, String name, List<Object> args) {
        return switch (name) {
            case "startswith" -> affix(s, arg(args, 0), true);
            case "endswith" -> affix(s, arg(args, 0), false);
            case "split" -> split(s, (String) arg(args, 0), args.size() > 1 ? Py.toLong(args.get(1)) : -1);
            case "rsplit" -> rsplit(s, (String) arg(args, 0), args.size() > 1 ? Py.toLong(args.get(1)) : -1);
            case "strip" -> strip(s, (String) arg(args, 0), true, true);
            case "lstrip" -> strip(s, (String) arg(args, 0), true, false);
            case "rstrip" -> strip(s, (String) arg(args, 0), false, true);
            case "replace" -> replace(s, stringArg(args, 0, name), stringArg(args, 1, name),
                    args.size() > 2 ? Py.toLong(args.get(2)) : -1);
            case "lower" -> s.toLowerCase();
            case "upper" -> s.toUpperCase();
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase()
                            + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase();
            case "find" -> (long) codePointIndex(s, s.indexOf(stringArg(args, 0, name)));
            case "rfind" -> (long) codePointIndex(s, s.lastIndexOf(stringArg(args, 0, name)));
            case "count" -> count(s, stringArg(args, 0, name));
            case "join" -> join(s, arg(args, 0));
            case "splitlines" -> new ArrayList<Object>(s.lines().toList());
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> Py.isSpace((char) c));
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase());
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase());
            default -> throw new IllegalStateException(name);
        };
    }

    private static boolean affix(String s, Object affix, boolean prefix) {
        if (affix instanceof List<?> options) {
            for (Object o : options) {
                if (affix(s, o, prefix)) return true;
            }
            return false;
        }
        if (!(affix instanceof String a)) {
            throw new IllegalArgumentException("startswith/endswith first arg must be str or a tuple of str");
        }
        return prefix ? s.startsWith(a) : s.endsWith(a);
    }

    private static int codePointIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }

    /** Python's {@code str.split}: without a separator it splits on runs of whitespace and drops empty parts. */
    static List<Object> split(String s, String sep, long maxSplit) {
        List<Object> parts = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(Py.rstrip(s.substring(i)));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.charAt(j))) j++;
                parts.add(s.substring(i, j));
                i = j;
            }
            return parts;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int start = 0;
        while (maxSplit < 0 || parts.size() < maxSplit) {
            int found = s.indexOf(sep, start);
            if (found < 0) break;
            parts.add(s.substring(start, found));
            start = found + sep.length();
        }
        parts.add(s.substring(start));
        return parts;
    }

    private static List<Object> rsplit(String s, String sep, long maxSplit) {
        if (maxSplit < 0 || sep == null) return split(s, sep, maxSplit);
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        List<Object> parts = new ArrayList<>();
        int end = s.length();
        while (parts.size() < maxSplit) {
            int found = s.lastIndexOf(sep, end - sep.length());
            if (found < 0) break;
            parts.addFirst(s.substring(found + sep.length(), end));
            end = found;
        }
        parts.addFirst(s.substring(0, end));
        return parts;
    }

    /** Python's strip family: whitespace by default, otherwise any of the given characters. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0, end = s.length();
        if (left) {
            while (start < end && stripped(s.charAt(start), chars)) start++;
        }
        if (right) {
            while (end > start && stripped(s.charAt(end - 1), chars)) end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Py.isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String replace(String s, String old, String replacement, long count) {
        if (count < 0) return s.replace(old, replacement);
        StringBuilder out = new StringBuilder();
        int start = 0;
        for (long n = 0; n < count; n++) {
            int found = s.indexOf(old, start);
            if (found < 0) break;
            out.append(s, start, found).append(replacement);
            start = found + old.length();
            if (old.isEmpty()) {
                if (start >= s.length()) break;
                out.append(s.charAt(start));
                start++;
            }
        }
        return out.append(s.substring(start)).toString();
    }

    static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.codePointCount(0, s.length()) + 1;
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Object items) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : Py.iterate(items)) {
            if (!(item instanceof String s)) {
                throw new IllegalArgumentException("sequence item: expected str instance, " + Py.typeName(item) + " found");
            }
            if (!first) out.append(sep);
            first = false;
            out.append(s);
        }
        return out.toString();
    }

    private static Object dict(Map<?, ?> m, String name, List<Object> args) {
        return switch (name) {
            case "items" -> {
                List<Object> items = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) items.add(new Tuple(Arrays.asList(e.getKey(), e.getValue())));
                yield items;
            }
            case "keys" -> new ArrayList<Object>(m.keySet());
            case "values" -> new ArrayList<Object>(m.values());
            case "get" -> {
                Object key = Py.findKey(m, arg(args, 0));
                yield key == Py.MISSING ? arg(args, 1) : m.get(key);
            }
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object list(List<?> l, String name, List<Object> args) {
        return switch (name) {
            case "index" -> {
                for (int i = 0; i < l.size(); i++) {
                    if (Py.eq(l.get(i), arg(args, 0))) yield (long) i;
                }
                throw new IllegalArgumentException(Py.repr(arg(args, 0)) + " is not in list");
            }
            case "count" -> l.stream().filter(o -> Py.eq(o, arg(args, 0))).count();
            default -> throw new IllegalStateException(name);
        };
    }
}
