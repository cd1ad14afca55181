package dev.conclave.dispatch;

import static dev.conclave.dispatch.RowsMessage.*;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import dev.conclave.dispatch.RowsMessage.Direction;
import dev.conclave.dispatch.RowsMessage.Kind;
import dev.conclave.dispatch.RowsMessage.RowType;
import org.agrona.DirectBuffer;

/** Reads a {@link RowsMessage} in place; {@link #wrap} checks that the whole message fits its length. */
public final class RowsDecoder {

    private DirectBuffer buffer;
    private int offset;
    private Kind kind;
    private Direction direction;
    private RowType rowType;
    private int hidden;
    private int rows;
    private int experts;

    /** @throws IllegalArgumentException when the bytes are not a complete rows message of this version */
    public RowsDecoder wrap(DirectBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.offset = offset;
        if (length < HEADER_LENGTH || buffer.getInt(offset + MAGIC_OFFSET, LITTLE_ENDIAN) != MAGIC) {
            throw new IllegalArgumentException("not a rows message (" + length + " bytes)");
        }
        short version = buffer.getShort(offset + VERSION_OFFSET, LITTLE_ENDIAN);
        if (version != VERSION) {
            throw new IllegalArgumentException("rows message version " + version + ", this node reads " + VERSION);
        }
        kind = Kind.of(buffer.getByte(offset + KIND_OFFSET));
        rowType = RowType.of(buffer.getByte(offset + ROW_TYPE_OFFSET));
        direction = Direction.of(buffer.getInt(offset + DIRECTION_OFFSET, LITTLE_ENDIAN));
        hidden = buffer.getInt(offset + HIDDEN_OFFSET, LITTLE_ENDIAN);
        rows = buffer.getInt(offset + ROWS_OFFSET, LITTLE_ENDIAN);
        experts = buffer.getInt(offset + EXPERT_COUNT_OFFSET, LITTLE_ENDIAN);
        if (kind == null || direction == null || rowType == null || hidden < 1 || rows < 0 || experts < 0 || (kind == Kind.FAILURE && rows != 0)) {
            throw new IllegalArgumentException("malformed rows message header");
        }
        long needed = kind == Kind.FAILURE
                ? (long) rowMetaOffset(experts) + Integer.BYTES
                : (long) rowDataOffset(experts, rows) + (long) rows * hidden * rowType.bytes();
        if (needed > length) {
            throw new IllegalArgumentException("rows message needs " + needed + " bytes, got " + length);
        }
        return this;
    }

    public Kind kind() {
        return kind;
    }

    public Direction direction() {
        return direction;
    }

    public RowType rowType() {
        return rowType;
    }

    public long step() {
        return buffer.getLong(offset + STEP_OFFSET, LITTLE_ENDIAN);
    }

    public int layer() {
        return buffer.getInt(offset + LAYER_OFFSET, LITTLE_ENDIAN);
    }

    public int source() {
        return buffer.getInt(offset + SOURCE_OFFSET, LITTLE_ENDIAN);
    }

    public int chunkIndex() {
        return buffer.getInt(offset + CHUNK_INDEX_OFFSET, LITTLE_ENDIAN);
    }

    public int chunkCount() {
        return buffer.getInt(offset + CHUNK_COUNT_OFFSET, LITTLE_ENDIAN);
    }

    /** First row of this chunk within the whole message. */
    public int firstRow() {
        return buffer.getInt(offset + FIRST_ROW_OFFSET, LITTLE_ENDIAN);
    }

    /** Rows in this chunk. */
    public int rows() {
        return rows;
    }

    public int totalRows() {
        return buffer.getInt(offset + TOTAL_ROWS_OFFSET, LITTLE_ENDIAN);
    }

    public int hidden() {
        return hidden;
    }

    public int expertCount() {
        return experts;
    }

    public int expertId(int i) {
        return buffer.getInt(offset + HEADER_LENGTH + i * EXPERT_ENTRY_LENGTH, LITTLE_ENDIAN);
    }

    public int expertFirstRow(int i) {
        return buffer.getInt(offset + HEADER_LENGTH + i * EXPERT_ENTRY_LENGTH + 4, LITTLE_ENDIAN);
    }

    public int expertRowCount(int i) {
        return buffer.getInt(offset + HEADER_LENGTH + i * EXPERT_ENTRY_LENGTH + 8, LITTLE_ENDIAN);
    }

    public float weight(int row) {
        return buffer.getFloat(offset + rowMetaOffset(experts) + row * ROW_META_LENGTH, LITTLE_ENDIAN);
    }

    public int token(int row) {
        return buffer.getInt(offset + rowMetaOffset(experts) + row * ROW_META_LENGTH + 4, LITTLE_ENDIAN);
    }

    /** Rows {@code [row, row + count)} of this chunk as floats into consecutive rows of {@code dst}. */
    public void rows(int row, int count, float[] dst, int dstOffset) {
        int at = offset + rowDataOffset(experts, rows) + row * hidden * rowType.bytes();
        RowCopy.read(buffer, at, dst, dstOffset, count * hidden, rowType);
    }

    /** A FAILURE's reason. */
    public String reason() {
        return buffer.getStringUtf8(offset + rowMetaOffset(experts), LITTLE_ENDIAN);
    }
}
