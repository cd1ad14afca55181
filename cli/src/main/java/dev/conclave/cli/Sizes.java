package dev.conclave.cli;

import java.util.Locale;

/** Human-readable parameter counts and byte sizes (decimal units, as model sizes are quoted). */
final class Sizes {

    private static final String[] COUNT_UNITS = {"", " K", " M", " B", " T"};
    private static final String[] BYTE_UNITS = {" B", " kB", " MB", " GB", " TB"};

    private Sizes() {
    }

    static String params(long count) {
        return scaled(count, COUNT_UNITS);
    }

    static String bytes(long count) {
        return scaled(count, BYTE_UNITS);
    }

    private static String scaled(long count, String[] units) {
        double value = count;
        int unit = 0;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return unit == 0 ? count + units[0] : String.format(Locale.ROOT, "%.2f%s", value, units[unit]);
    }
}
