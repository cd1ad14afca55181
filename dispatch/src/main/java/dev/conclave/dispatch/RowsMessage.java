package dev.conclave.dispatch;

/**
 * Layout of the one message kind the data plane carries: a chunk of token rows for (step, layer),
 * grouped by expert. All fields are little-endian; offsets are from the start of the message.
 * <pre>
 *   0  int   magic               "CNRW"
 *   4  short version
 *   6  byte  kind                DISPATCH, COMBINE, FAILURE
 *   7  byte  row type            F32, BF16
 *   8  long  step
 *  16  int   layer
 *  20  int   source node
 *  24  int   chunk index
 *  28  int   chunk count
 *  32  int   first row of this chunk (in the whole message)
 *  36  int   rows in this chunk
 *  40  int   total rows (of the whole message)
 *  44  int   hidden size
 *  48  int   expert count E
 *  52  int   direction           FORWARD, BACKWARD
 *  56  E × (int expert id, int first row, int row count)     the whole message's blocks, in every chunk
 *      rows × (float weight, int token)
 *      padding to 8 bytes
 *      rows × hidden × (float32 | bfloat16)
 * </pre>
 * A FORWARD message carries expert inputs out and expert outputs back (inference, and training's
 * forward); a BACKWARD one carries output gradients out and input gradients back (training's backward,
 * the combine and dispatch in reverse). A FAILURE carries no rows; after the expert table (the experts that failed) comes its reason as an
 * int byte length and UTF-8 bytes.
 */
public final class RowsMessage {

    public static final int MAGIC = 0x57524E43;
    public static final short VERSION = 2;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int KIND_OFFSET = 6;
    static final int ROW_TYPE_OFFSET = 7;
    static final int STEP_OFFSET = 8;
    static final int LAYER_OFFSET = 16;
    static final int SOURCE_OFFSET = 20;
    static final int CHUNK_INDEX_OFFSET = 24;
    static final int CHUNK_COUNT_OFFSET = 28;
    static final int FIRST_ROW_OFFSET = 32;
    static final int ROWS_OFFSET = 36;
    static final int TOTAL_ROWS_OFFSET = 40;
    static final int HIDDEN_OFFSET = 44;
    static final int EXPERT_COUNT_OFFSET = 48;
    static final int DIRECTION_OFFSET = 52;
    public static final int HEADER_LENGTH = 56;
    static final int EXPERT_ENTRY_LENGTH = 12;
    static final int ROW_META_LENGTH = 8;
    static final int ROWS_ALIGNMENT = 8;

    public enum Kind {
        DISPATCH, COMBINE, FAILURE;

        private static final Kind[] BY_CODE = values();

        byte code() {
            return (byte) (ordinal() + 1);
        }

        static Kind of(byte code) {
            return code >= 1 && code <= BY_CODE.length ? BY_CODE[code - 1] : null;
        }
    }

    /** Which pass of the experts a message belongs to. */
    public enum Direction {
        FORWARD, BACKWARD;

        private static final Direction[] BY_CODE = values();

        int code() {
            return ordinal() + 1;
        }

        static Direction of(int code) {
            return code >= 1 && code <= BY_CODE.length ? BY_CODE[code - 1] : null;
        }
    }

    public enum RowType {
        F32(4), BF16(2);

        private static final RowType[] BY_CODE = values();

        private final int bytes;

        RowType(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }

        byte code() {
            return (byte) (ordinal() + 1);
        }

        static RowType of(byte code) {
            return code >= 1 && code <= BY_CODE.length ? BY_CODE[code - 1] : null;
        }
    }

    private RowsMessage() {
    }

    static int rowMetaOffset(int experts) {
        return HEADER_LENGTH + experts * EXPERT_ENTRY_LENGTH;
    }

    static int rowDataOffset(int experts, int rows) {
        return align(rowMetaOffset(experts) + rows * ROW_META_LENGTH);
    }

    /** Encoded length of a DISPATCH or COMBINE chunk. */
    public static int length(int experts, int rows, int hidden, RowType type) {
        return rowDataOffset(experts, rows) + rows * hidden * type.bytes;
    }

    /** Encoded length of a FAILURE whose reason is {@code reasonBytes} UTF-8 bytes. */
    public static int failureLength(int experts, int reasonBytes) {
        return rowMetaOffset(experts) + Integer.BYTES + reasonBytes;
    }

    /** The most rows of {@code hidden} values one chunk of at most {@code maxLength} bytes can hold. */
    public static int rowsPerChunk(int maxLength, int experts, int hidden, RowType type) {
        int n = Math.max(0, (maxLength - rowMetaOffset(experts)) / (ROW_META_LENGTH + hidden * type.bytes));
        return n > 0 && length(experts, n, hidden, type) > maxLength ? n - 1 : n;
    }

    private static int align(int n) {
        return (n + ROWS_ALIGNMENT - 1) & -ROWS_ALIGNMENT;
    }
}
