package dev.conclave.text.chat;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The object {@code namespace(...)} returns: the only value whose attributes {@code set ns.x = ...} may assign,
 * which is how templates carry state out of a for loop's scope.
 */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();

    @Override
    public String toString() {
        return "<Namespace " + Py.repr(attributes) + ">";
    }
}
