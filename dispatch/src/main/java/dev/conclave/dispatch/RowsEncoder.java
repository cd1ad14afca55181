package dev.conclave.dispatch;

import static dev.conclave.dispatch.RowsMessage.*;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import dev.conclave.dispatch.RowsMessage.Direction;
import dev.conclave.dispatch.RowsMessage.Kind;
import dev.conclave.dispatch.RowsMessage.RowType;
import org.agrona.MutableDirectBuffer;

/**
 * Writes a {@link RowsMessage} in place, SBE style: wrap a buffer, then {@link #header}, {@link #chunk}
 * and {@link #expertCount} in that order (they fix where the variable parts go), then the expert
 * table, row metadata and rows in any order, or a FAILURE's {@link #reason}.
 */
public final class RowsEncoder {

    private MutableDirectBuffer buffer;
    private int offset;
    private RowType rowType;
    private int hidden;
    private int rows;
    private int experts;
    private int reasonLength;

    public RowsEncoder wrap(MutableDirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        this.rows = 0;
        this.experts = 0;
        this.reasonLength = -1;
        return this;
    }

    public RowsEncoder header(Kind kind, RowType type, long step, int layer, int source, int hidden) {
        return header(kind, Direction.FORWARD, type, step, layer, source, hidden);
    }

    public RowsEncoder header(Kind kind, Direction direction, RowType type, long step, int layer, int source, int hidden) {
        this.rowType = type;
        this.hidden = hidden;
        buffer.putInt(offset + MAGIC_OFFSET, MAGIC, LITTLE_ENDIAN);
        buffer.putShort(offset + VERSION_OFFSET, VERSION, LITTLE_ENDIAN);
        buffer.putByte(offset + KIND_OFFSET, kind.code());
        buffer.putByte(offset + ROW_TYPE_OFFSET, type.code());
        buffer.putLong(offset + STEP_OFFSET, step, LITTLE_ENDIAN);
        buffer.putInt(offset + LAYER_OFFSET, layer, LITTLE_ENDIAN);
        buffer.putInt(offset + SOURCE_OFFSET, source, LITTLE_ENDIAN);
        buffer.putInt(offset + HIDDEN_OFFSET, hidden, LITTLE_ENDIAN);
        buffer.putInt(offset + DIRECTION_OFFSET, direction.code(), LITTLE_ENDIAN);
        return this;
    }

    public RowsEncoder chunk(int index, int count, int firstRow, int rows, int totalRows) {
        this.rows = rows;
        buffer.putInt(offset + CHUNK_INDEX_OFFSET, index, LITTLE_ENDIAN);
        buffer.putInt(offset + CHUNK_COUNT_OFFSET, count, LITTLE_ENDIAN);
        buffer.putInt(offset + FIRST_ROW_OFFSET, firstRow, LITTLE_ENDIAN);
        buffer.putInt(offset + ROWS_OFFSET, rows, LITTLE_ENDIAN);
        buffer.putInt(offset + TOTAL_ROWS_OFFSET, totalRows, LITTLE_ENDIAN);
        return this;
    }

    public RowsEncoder expertCount(int experts) {
        this.experts = experts;
        buffer.putInt(offset + EXPERT_COUNT_OFFSET, experts, LITTLE_ENDIAN);
        return this;
    }

    /** Entry i of the expert table: the expert's rows are {@code [firstRow, firstRow + rowCount)} of the message. */
    public RowsEncoder expert(int i, int expertId, int firstRow, int rowCount) {
        int at = offset + HEADER_LENGTH + i * EXPERT_ENTRY_LENGTH;
        buffer.putInt(at, expertId, LITTLE_ENDIAN);
        buffer.putInt(at + 4, firstRow, LITTLE_ENDIAN);
        buffer.putInt(at + 8, rowCount, LITTLE_ENDIAN);
        return this;
    }

    /** Mixing weight and token index of row {@code row} of this chunk. */
    public RowsEncoder rowMeta(int row, float weight, int token) {
        int at = offset + rowMetaOffset(experts) + row * ROW_META_LENGTH;
        buffer.putFloat(at, weight, LITTLE_ENDIAN);
        buffer.putInt(at + 4, token, LITTLE_ENDIAN);
        return this;
    }

    /** Row {@code row} of this chunk from {@code hidden} floats of {@code src} at {@code srcOffset}. */
    public RowsEncoder row(int row, float[] src, int srcOffset) {
        return rows(row, 1, src, srcOffset);
    }

    /** Rows {@code [row, row + count)} of this chunk from consecutive rows of {@code src}. */
    public RowsEncoder rows(int row, int count, float[] src, int srcOffset) {
        int at = offset + rowDataOffset(experts, rows) + row * hidden * rowType.bytes();
        RowCopy.write(src, srcOffset, buffer, at, count * hidden, rowType);
        return this;
    }

    /** A FAILURE's reason; written after the expert table. */
    public RowsEncoder reason(String reason) {
        int at = offset + rowMetaOffset(experts);
        reasonLength = buffer.putStringUtf8(at, reason, LITTLE_ENDIAN) - Integer.BYTES;
        return this;
    }

    public int encodedLength() {
        return reasonLength >= 0 ? failureLength(experts, reasonLength) : length(experts, rows, hidden, rowType);
    }
}
