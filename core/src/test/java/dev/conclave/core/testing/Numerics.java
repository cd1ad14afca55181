package dev.conclave.core.testing;

/** The comparison every golden test uses: relative L2 error of ours against a reference. */
public final class Numerics {

    private Numerics() {
    }

    /** {@code ||ours - reference|| / ||reference||} over all elements; the lengths must agree. */
    public static double relL2(float[] ours, float[] reference) {
        if (ours.length != reference.length) {
            throw new AssertionError("length " + ours.length + " differs from the reference's " + reference.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ours.length; i++) {
            double d = (double) ours[i] - reference[i];
            diff += d * d;
            norm += (double) reference[i] * reference[i];
        }
        return Math.sqrt(diff / norm);
    }
}
