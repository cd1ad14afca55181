package dev.conclave.training.data;

/**
 * One fixed-length training row of best-fit-packed documents (training spec §7.2). {@code docStarts} are the
 * offsets where documents begin, in order; attention is block-diagonal between them and {@code positions}
 * restart at 0 in each. {@code lossMask[t]} says whether predicting {@code tokens[t]} from the previous position
 * counts; it is false at every document start (nothing of that document precedes it, so label shifts never
 * cross a boundary) and on the padding after {@code used} tokens.
 */
public record PackedRow(int[] tokens, boolean[] lossMask, int[] positions, int[] docStarts, int used) {

    public int length() {
        return tokens.length;
    }

    /** The document index of token {@code t} (padding belongs to none: -1). */
    public int documentOf(int t) {
        if (t >= used) {
            return -1;
        }
        int d = 0;
        while (d + 1 < docStarts.length && docStarts[d + 1] <= t) {
            d++;
        }
        return d;
    }

    /** How many tokens count in the loss. */
    public int maskedTokens() {
        return Document.count(lossMask);
    }
}
