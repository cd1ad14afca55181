package dev.conclave.training.tasks;

/**
 * Which problems a file may hold, so a training file and a held-out file drawn from the same task never share
 * a question: a question is held out iff a fixed hash of its text falls in one of ten buckets (about 10 %).
 */
public enum Split {
    ALL, TRAIN, HELD_OUT;

    private static final int BUCKETS = 10;

    public boolean admits(String question) {
        boolean heldOut = Math.floorMod(fnv1a(question), BUCKETS) == 0;
        return switch (this) {
            case ALL -> true;
            case TRAIN -> !heldOut;
            case HELD_OUT -> heldOut;
        };
    }

    /** 32-bit FNV-1a over the UTF-16 code units: stable across JVMs and releases, unlike a library hash. */
    private static int fnv1a(String s) {
        int h = 0x811c9dc5;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x01000193;
        }
        return h;
    }
}
