package dev.conclave.dispatch;

import java.util.Arrays;

/**
 * The expert table of one message: block b holds expert {@link #expert}(b)'s rows
 * {@code [firstRow(b), firstRow(b) + rowCount(b))}, blocks back to back in table order.
 */
public final class ExpertBlocks {

    private int count;
    private int totalRows;
    private int[] expert = new int[8];
    private int[] firstRow = new int[8];
    private int[] rowCount = new int[8];

    void clear() {
        count = 0;
        totalRows = 0;
    }

    /** Appends a block of {@code rows} rows after the last one. */
    void add(int expertId, int rows) {
        if (count == expert.length) {
            expert = Arrays.copyOf(expert, 2 * count);
            firstRow = Arrays.copyOf(firstRow, 2 * count);
            rowCount = Arrays.copyOf(rowCount, 2 * count);
        }
        expert[count] = expertId;
        firstRow[count] = totalRows;
        rowCount[count] = rows;
        totalRows += rows;
        count++;
    }

    public int count() {
        return count;
    }

    public int expert(int b) {
        return expert[b];
    }

    public int firstRow(int b) {
        return firstRow[b];
    }

    public int rowCount(int b) {
        return rowCount[b];
    }

    public int totalRows() {
        return totalRows;
    }
}
