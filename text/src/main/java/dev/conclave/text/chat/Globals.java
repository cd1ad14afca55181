package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The functions every template sees: jinja2's {@code namespace}, {@code range}, {@code dict}, and Hugging Face's {@code raise_exception}. */
final class Globals {
    private Globals() {
    }

    /** Thrown by {@code raise_exception}; the interpreter reports it at the call's position with the template's own message. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    static void install(Scope scope) {
        scope.set("namespace", (Callable) Globals::namespace);
        scope.set("range", (Callable) Globals::range);
        scope.set("dict", (Callable) (args, kwargs) -> new LinkedHashMap<>(kwargs));
        scope.set("raise_exception", (Callable) (args, kwargs) -> {
            throw new Raised(args.isEmpty() ? "" : Py.str(args.getFirst()));
        });
    }

    private static Object namespace(List<Object> args, Map<String, Object> kwargs) {
        Namespace ns = new Namespace();
        for (Object arg : args) {
            if (!(arg instanceof Map<?, ?> m)) throw new IllegalArgumentException("namespace() takes mappings");
            m.forEach((k, v) -> ns.attributes.put(Py.str(k), v));
        }
        ns.attributes.putAll(kwargs);
        return ns;
    }

    private static Object range(List<Object> args, Map<String, Object> kwargs) {
        long start = 0, stop, step = 1;
        if (args.size() == 1) {
            stop = Py.toLong(args.getFirst());
        } else if (args.size() >= 2) {
            start = Py.toLong(args.get(0));
            stop = Py.toLong(args.get(1));
            if (args.size() > 2) step = Py.toLong(args.get(2));
        } else {
            throw new IllegalArgumentException("range expected at least 1 argument, got 0");
        }
        if (step == 0) throw new IllegalArgumentException("range() arg 3 must not be zero");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
        return out;
    }
}
