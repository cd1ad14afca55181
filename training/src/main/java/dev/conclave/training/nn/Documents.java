package dev.conclave.training.nn;

import java.util.Arrays;

/**
 * How packed rows split into documents (training spec §7.2): attention is block-diagonal causal per
 * document, RoPE positions restart at 0 in each, and label shifts and the balance loss never cross one.
 * Rows of the batch are concatenated; a row boundary is always a document boundary.
 */
public final class Documents {

    private final int rows;
    private final int[] docStart;
    private final int[] docEnd;
    private final int[] firstOfRow;
    private final int[] docOfRow;

    private Documents(int[] lengths) {
        int n = 0;
        for (int len : lengths) {
            if (len <= 0) {
                throw new IllegalArgumentException("document lengths must be positive: " + Arrays.toString(lengths));
            }
            n += len;
        }
        this.rows = n;
        this.docStart = new int[lengths.length];
        this.docEnd = new int[lengths.length];
        this.firstOfRow = new int[n];
        this.docOfRow = new int[n];
        int at = 0;
        for (int d = 0; d < lengths.length; d++) {
            docStart[d] = at;
            docEnd[d] = at + lengths[d];
            for (int t = at; t < at + lengths[d]; t++) {
                firstOfRow[t] = at;
                docOfRow[t] = d;
            }
            at += lengths[d];
        }
    }

    /** Documents of the given lengths, back to back. */
    public static Documents of(int... lengths) {
        return new Documents(lengths);
    }

    public int rows() { return rows; }

    public int count() { return docStart.length; }

    public int start(int doc) { return docStart[doc]; }

    public int end(int doc) { return docEnd[doc]; }

    /** The first row of row t's document: t attends to rows first(t)..t. */
    public int first(int t) { return firstOfRow[t]; }

    /** RoPE position of row t: its index inside its document. */
    public int position(int t) { return t - firstOfRow[t]; }

    /** Whether row t + ahead exists in the same document as row t. */
    public boolean hasAhead(int t, int ahead) {
        return t + ahead < docEnd[docOfRow[t]];
    }
}
