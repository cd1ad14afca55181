package dev.conclave.api.generation;

import java.util.List;

/**
 * Applies a request's stop strings to streamed text: text is released as soon as it can no longer be the
 * start of a stop string, and everything from the first stop string on is dropped. The released pieces add
 * up to the same text whether the input came in one piece or many.
 */
final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** The part of {@code text} (after what was held back) that is safe to emit. */
    String feed(String text) {
        if (stopped) {
            return "";
        }
        held.append(text);
        int at = -1;
        for (String stop : stops) {
            int i = held.indexOf(stop);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at >= 0) {
            stopped = true;
            String out = held.substring(0, at);
            held.setLength(0);
            return out;
        }
        int ready = held.length() - heldSuffix();
        String out = held.substring(0, ready);
        held.delete(0, ready);
        return out;
    }

    /** What was held back as a possible stop string that the text will not complete now. */
    String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }

    private int heldSuffix() {
        int best = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, held.length()); len > best; len--) {
                if (held.substring(held.length() - len).equals(stop.substring(0, len))) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
