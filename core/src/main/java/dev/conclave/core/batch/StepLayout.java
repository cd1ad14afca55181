package dev.conclave.core.batch;

import java.util.Arrays;

/**
 * How one forward step's tokens are laid out: the new tokens of every sequence in the step, flattened
 * into consecutive rows. Sequence {@code s} owns rows {@code [start(s), start(s) + count(s))}, whose
 * positions run from {@code startPosition(s)} upwards. Prefill (many rows) and decode (one row) mix
 * freely; the router and experts see only rows, attention works per sequence.
 */
public record StepLayout(int[] starts, int[] counts, int[] startPositions) {

    public StepLayout {
        if (starts.length != counts.length || counts.length != startPositions.length) {
            throw new IllegalArgumentException("layout arrays differ in length");
        }
        starts = starts.clone();
        counts = counts.clone();
        startPositions = startPositions.clone();
    }

    /** A layout for sequences with the given new-token counts and cached lengths, rows in order. */
    public static StepLayout of(int[] counts, int[] startPositions) {
        int[] starts = new int[counts.length];
        int row = 0;
        for (int s = 0; s < counts.length; s++) {
            if (counts[s] < 1) {
                throw new IllegalArgumentException("sequence " + s + " has no new tokens");
            }
            starts[s] = row;
            row += counts[s];
        }
        return new StepLayout(starts, counts, startPositions);
    }

    public static StepLayout single(int count, int startPosition) {
        return of(new int[] {count}, new int[] {startPosition});
    }

    public int sequences() {
        return counts.length;
    }

    /** Total rows (tokens) in the step. */
    public int rows() {
        return sequences() == 0 ? 0 : starts[sequences() - 1] + counts[sequences() - 1];
    }

    public int start(int s) {
        return starts[s];
    }

    public int count(int s) {
        return counts[s];
    }

    public int startPosition(int s) {
        return startPositions[s];
    }

    /** The row of the last new token of sequence {@code s}. */
    public int lastRow(int s) {
        return starts[s] + counts[s] - 1;
    }

    /** Position (RoPE index) of every row. */
    public int[] positions() {
        int[] pos = new int[rows()];
        for (int s = 0; s < sequences(); s++) {
            for (int i = 0; i < counts[s]; i++) {
                pos[starts[s] + i] = startPositions[s] + i;
            }
        }
        return pos;
    }

    @Override
    public String toString() {
        return "StepLayout" + Arrays.toString(counts) + "@" + Arrays.toString(startPositions);
    }
}
