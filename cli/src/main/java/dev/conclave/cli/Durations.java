package dev.conclave.cli;

import java.time.Duration;

/** Durations written as on the command line: {@code 500ms}, {@code 10s}, {@code 2m}. */
final class Durations {

    private Durations() {
    }

    static Duration parse(String text, String option) {
        var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " must look like 500ms, 10s or 2m, got '" + text + "'");
        }
        long v = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(v);
            case "s" -> Duration.ofSeconds(v);
            default -> Duration.ofMinutes(v);
        };
    }
}
