package dev.conclave.placement;

import java.util.Locale;

/**
 * The device a node computes on, from the placement's {@code device} string: {@code cpu} (every core),
 * {@code cpu:0-1} (those cores, as an id range list) or {@code cuda:N} (GPU N).
 *
 * @param kind    CPU or CUDA
 * @param indices the CPU cores (empty: all of them) or the one CUDA device index
 */
public record Device(Kind kind, IntSet indices) {

    public enum Kind { CPU, CUDA }

    private static final String FORMS = "expected cpu, cpu:<cores> such as cpu:0-3, or cuda:<index> such as cuda:0";

    public Device {
        if (kind == Kind.CUDA && indices.size() != 1) {
            throw new IllegalArgumentException("a CUDA device is one GPU; got indices '" + indices + "'");
        }
    }

    public static Device cpu() {
        return new Device(Kind.CPU, IntSet.empty());
    }

    /**
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static Device parse(String text) {
        String spec = text.strip();
        int colon = spec.indexOf(':');
        String kind = (colon < 0 ? spec : spec.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? null : spec.substring(colon + 1).strip();
        return switch (kind) {
            case "cpu" -> rest == null ? cpu() : new Device(Kind.CPU, parseIndices(spec, rest));
            case "cuda" -> {
                if (rest == null || !rest.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new IllegalArgumentException("'" + spec + "' does not name one GPU; " + FORMS);
                }
                yield new Device(Kind.CUDA, parseIndices(spec, rest));
            }
            default -> throw new IllegalArgumentException("'" + spec + "' is not a device; " + FORMS);
        };
    }

    private static IntSet parseIndices(String spec, String indices) {
        try {
            IntSet set = IntSet.parse(indices);
            if (set.isEmpty()) {
                throw new IllegalArgumentException("no index after ':'");
            }
            return set;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + spec + "': " + e.getMessage() + "; " + FORMS);
        }
    }

    /** The text form, which {@link #parse} reads back to an equal device. */
    @Override
    public String toString() {
        String kindName = kind.name().toLowerCase(Locale.ROOT);
        return indices.isEmpty() ? kindName : kindName + ":" + indices;
    }
}
