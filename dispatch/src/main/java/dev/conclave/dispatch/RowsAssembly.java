package dev.conclave.dispatch;

import dev.conclave.dispatch.RowsMessage.Direction;
import dev.conclave.dispatch.RowsMessage.RowType;

/**
 * Reassembles the chunks of one source's DISPATCH message. A source sends its chunks in order on its
 * own publication, so chunks arrive in order; a chunk that does not continue the message in progress
 * (its start was lost to a restart, or the source moved on after a timeout) drops that message.
 */
final class RowsAssembly {

    long step;
    Direction direction;
    int layer;
    int hidden;
    RowType rowType;
    final ExpertBlocks blocks = new ExpertBlocks();
    float[] rows = new float[0];
    float[] out = new float[0];
    float[] weights = new float[0];
    int[] tokens = new int[0];
    private int chunkCount;
    private int nextChunk = -1;

    /** Adds one chunk; true when it completes its message. */
    boolean accept(RowsDecoder d) {
        if (d.chunkIndex() == 0) {
            start(d);
        } else if (d.chunkIndex() != nextChunk || d.step() != step || d.layer() != layer || d.direction() != direction) {
            nextChunk = -1;
            return false;
        }
        int first = d.firstRow();
        int n = d.rows();
        if (first < 0 || first + n > blocks.totalRows()) {
            throw new IllegalArgumentException("chunk rows [" + first + ", " + (first + n) + ") outside a message of "
                    + blocks.totalRows() + " rows");
        }
        d.rows(0, n, rows, first * hidden);
        for (int r = 0; r < n; r++) {
            weights[first + r] = d.weight(r);
            tokens[first + r] = d.token(r);
        }
        nextChunk++;
        return nextChunk == chunkCount;
    }

    private void start(RowsDecoder d) {
        step = d.step();
        direction = d.direction();
        layer = d.layer();
        hidden = d.hidden();
        rowType = d.rowType();
        chunkCount = d.chunkCount();
        nextChunk = -1;
        blocks.clear();
        for (int i = 0; i < d.expertCount(); i++) {
            blocks.add(d.expertId(i), d.expertRowCount(i));
            if (blocks.firstRow(i) != d.expertFirstRow(i)) {
                throw new IllegalArgumentException("expert blocks of a message must be back to back");
            }
        }
        if (blocks.totalRows() != d.totalRows()) {
            throw new IllegalArgumentException("expert blocks hold " + blocks.totalRows() + " rows, the message " + d.totalRows());
        }
        int values = blocks.totalRows() * hidden;
        if (rows.length < values) {
            rows = new float[values];
            out = new float[values];
        }
        if (weights.length < blocks.totalRows()) {
            weights = new float[blocks.totalRows()];
            tokens = new int[blocks.totalRows()];
        }
        nextChunk = 0;
    }
}
