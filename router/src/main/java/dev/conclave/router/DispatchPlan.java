package dev.conclave.router;

import java.util.Arrays;

/**
 * The router's decision for one step of one MoE layer: for token t and slot s (0 ≤ s < K) the expert
 * {@code expert(t, s)} and its mixing weight {@code weight(t, s)}. The same assignments are also
 * grouped by expert: expert e receives the assignments {@code order[begin(e) .. end(e))}, each an index
 * {@code t·K + s}, in ascending token order. That grouping is what travels to expert shards: one block of
 * rows per expert, and expert outputs come back in the same order.
 */
public final class DispatchPlan {

    private final int experts;
    private final int k;
    private int tokens;
    private int[] expert = new int[0];
    private float[] weight = new float[0];
    private int[] order = new int[0];
    private int[] position = new int[0];
    private int[] groupedTokens = new int[0];
    private final int[] begin;

    public DispatchPlan(int experts, int k) {
        this.experts = experts;
        this.k = k;
        this.begin = new int[experts + 1];
    }

    /** Clears the plan for {@code tokens} tokens; slots are then filled with {@link #set}. */
    public void reset(int tokens) {
        this.tokens = tokens;
        if (expert.length < tokens * k) {
            expert = new int[tokens * k];
            weight = new float[tokens * k];
            order = new int[tokens * k];
            position = new int[tokens * k];
            groupedTokens = new int[tokens * k];
        }
    }

    public void set(int token, int slot, int expertId, float w) {
        expert[token * k + slot] = expertId;
        weight[token * k + slot] = w;
    }

    /** Builds the per-expert grouping (a counting sort by expert) once all slots are set. */
    public void group() {
        Arrays.fill(begin, 0);
        int n = tokens * k;
        for (int a = 0; a < n; a++) {
            begin[expert[a] + 1]++;
        }
        for (int e = 0; e < experts; e++) {
            begin[e + 1] += begin[e];
        }
        int[] next = Arrays.copyOf(begin, experts);
        for (int a = 0; a < n; a++) {
            int p = next[expert[a]]++;
            order[p] = a;
            groupedTokens[p] = a / k;
            position[a] = p;
        }
    }

    public int tokens() {
        return tokens;
    }

    public int k() {
        return k;
    }

    public int experts() {
        return experts;
    }

    public int expert(int token, int slot) {
        return expert[token * k + slot];
    }

    public float weight(int token, int slot) {
        return weight[token * k + slot];
    }

    /** Number of rows routed to expert e. */
    public int load(int e) {
        return begin[e + 1] - begin[e];
    }

    public int begin(int e) {
        return begin[e];
    }

    public int end(int e) {
        return begin[e + 1];
    }

    /** The assignment {@code t·K + s} at grouped position p. */
    public int assignment(int p) {
        return order[p];
    }

    /** The token of each grouped position: expert e's rows are tokens {@code [begin(e), end(e))} of it. */
    public int[] groupedTokens() {
        return groupedTokens;
    }

    /** Grouped position of (token, slot): where that row's expert output sits in a grouped buffer. */
    public int groupedPosition(int token, int slot) {
        return position[token * k + slot];
    }
}
