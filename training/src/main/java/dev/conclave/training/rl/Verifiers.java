package dev.conclave.training.rl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifiers by name, as a task file names them. {@link #standard()} holds:
 * <ul>
 *   <li>{@code exact_match}: {@link ExactMatch}</li>
 *   <li>{@code numeric}: {@link NumericMatch} within 1e-6 absolute or 1e-6 relative</li>
 *   <li>{@code sorted_list}: {@link SortedList}</li>
 *   <li>{@code tool_call_format}: {@link ToolCallFormat}</li>
 *   <li>{@code tool_call}: {@link ToolCallMatch}</li>
 * </ul>
 * A name may also be a weighted sum of registered names, {@code "0.8*tool_call+0.2*tool_call_format"}
 * (a part without a factor weighs 1), so a task file can combine rewards without code.
 */
public final class Verifiers {
    private final Map<String, Verifier> byName = new LinkedHashMap<>();

    public static Verifiers standard() {
        return new Verifiers()
                .register("exact_match", new ExactMatch())
                .register("numeric", new NumericMatch(1e-6, 1e-6))
                .register("sorted_list", new SortedList())
                .register("tool_call_format", new ToolCallFormat())
                .register("tool_call", new ToolCallMatch());
    }

    public Verifiers register(String name, Verifier verifier) {
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("verifier name '" + name + "' must be letters, digits, _ . -");
        }
        if (byName.putIfAbsent(name, verifier) != null) {
            throw new IllegalArgumentException("verifier '" + name + "' is already registered");
        }
        return this;
    }

    public Set<String> names() {
        return byName.keySet();
    }

    /** The verifier of that name or weighted sum of names; an unknown name is an error listing the known ones. */
    public Verifier get(String name) {
        if (!name.contains("+") && !name.contains("*")) {
            return lookup(name.strip(), name);
        }
        List<WeightedVerifier.Part> parts = new ArrayList<>();
        for (String term : name.split("\\+")) {
            int star = term.indexOf('*');
            double weight = 1;
            if (star >= 0) {
                try {
                    weight = Double.parseDouble(term.substring(0, star).strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("verifier '" + name + "': bad weight in '" + term.strip() + "'");
                }
            }
            parts.add(new WeightedVerifier.Part(weight, lookup(term.substring(star + 1).strip(), name)));
        }
        return new WeightedVerifier(parts);
    }

    private Verifier lookup(String key, String asked) {
        Verifier verifier = byName.get(key);
        if (verifier == null) {
            throw new IllegalArgumentException("unknown verifier '" + key + "'" + (key.equals(asked) ? "" : " in '" + asked + "'")
                    + "; known: " + String.join(", ", byName.keySet()));
        }
        return verifier;
    }
}
