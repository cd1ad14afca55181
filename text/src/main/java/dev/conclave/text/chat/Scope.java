package dev.conclave.text.chat;

import java.util.HashMap;
import java.util.Map;

/**
 * A frame of template variables. For loops and macro calls open a child frame, so a plain {@code set} inside
 * them is not seen after they end, exactly the jinja2 rule that makes templates use {@code namespace()}.
 */
final class Scope {
    private final Scope parent;
    private final Map<String, Object> vars = new HashMap<>();

    Scope(Scope parent) {
        this.parent = parent;
    }

    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.vars.containsKey(name)) return s.vars.get(name);
        }
        return Undefined.name(name);
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}
