package dev.conclave.text.chat;

import java.util.List;
import java.util.Map;

/** Anything a template can call: macros, global functions, bound methods of strings, dicts and lists. */
@FunctionalInterface
interface Callable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
