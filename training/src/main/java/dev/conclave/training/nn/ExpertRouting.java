package dev.conclave.training.nn;

import java.util.Arrays;

/**
 * One MoE step's assignments {@code a = t·K + slot} grouped by expert, in token order inside each expert
 * (the order of the inference dispatch plan): expert e's row r is assignment {@code assignment(offset(e) + r)}.
 */
public final class ExpertRouting {

    private final int experts;
    private final int k;
    private final int[] count;
    private final int[] offset;
    private final int[] cursor;
    private int[] assignment = new int[0];
    private Router router;
    private int tokens;

    ExpertRouting(int experts, int k) {
        this.experts = experts;
        this.k = k;
        this.count = new int[experts];
        this.offset = new int[experts + 1];
        this.cursor = new int[experts];
    }

    /** Groups the router's last selection over {@code tokens} rows. */
    void group(Router router, int tokens) {
        this.router = router;
        this.tokens = tokens;
        Arrays.fill(count, 0);
        for (int t = 0; t < tokens; t++) {
            for (int slot = 0; slot < k; slot++) {
                count[router.expert(t, slot)]++;
            }
        }
        offset[0] = 0;
        for (int e = 0; e < experts; e++) {
            offset[e + 1] = offset[e] + count[e];
        }
        if (assignment.length < tokens * k) {
            assignment = new int[tokens * k];
        }
        System.arraycopy(offset, 0, cursor, 0, experts);
        for (int t = 0; t < tokens; t++) {
            for (int slot = 0; slot < k; slot++) {
                assignment[cursor[router.expert(t, slot)]++] = t * k + slot;
            }
        }
    }

    public int experts() { return experts; }

    public int k() { return k; }

    public int tokens() { return tokens; }

    /** Rows routed to expert e. */
    public int count(int e) { return count[e]; }

    /** Grouped position of expert e's first row; {@code offset(experts())} is the number of assignments. */
    public int offset(int e) { return offset[e]; }

    /** The assignment {@code t·K + slot} at grouped position p. */
    public int assignment(int p) { return assignment[p]; }

    /** The token of expert e's row r. */
    public int token(int e, int r) { return assignment[offset[e] + r] / k; }

    /** The mixing weight of (token, slot). */
    public double gate(int token, int slot) { return router.gateOf(token, slot); }
}
