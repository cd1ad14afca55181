package dev.conclave.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.dispatch.RowsMessage.Kind;
import dev.conclave.dispatch.RowsMessage.RowType;
import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class RowsMessageTest {

    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final RowsEncoder encoder = new RowsEncoder();
    private final RowsDecoder decoder = new RowsDecoder();

    /** Two expert blocks (expert 5: rows 0-1, expert 9: row 2) of 4 hidden values, written at an odd offset. */
    private int encodeThreeRows(RowType type, float[] rows) {
        encoder.wrap(buffer, 3)
                .header(Kind.DISPATCH, type, 1L << 40, 17, 2, 4)
                .chunk(1, 3, 10, 3, 30)
                .expertCount(2)
                .expert(0, 5, 0, 2)
                .expert(1, 9, 2, 1)
                .rowMeta(0, 0.5f, 7)
                .rowMeta(1, 0.25f, 8)
                .rowMeta(2, 1.5f, 7)
                .rows(0, 2, rows, 0)
                .row(2, rows, 8);
        return encoder.encodedLength();
    }

    @Test
    void everyFieldRoundTrips() {
        float[] rows = {1, 2, 3, 4, -5, 6.5f, 7, 8, 1e-30f, Float.MAX_VALUE, -0f, 12};
        int length = encodeThreeRows(RowType.F32, rows);
        assertEquals(RowsMessage.length(2, 3, 4, RowType.F32), length);

        decoder.wrap(buffer, 3, length);
        assertEquals(Kind.DISPATCH, decoder.kind());
        assertEquals(RowType.F32, decoder.rowType());
        assertEquals(1L << 40, decoder.step());
        assertEquals(17, decoder.layer());
        assertEquals(2, decoder.source());
        assertEquals(1, decoder.chunkIndex());
        assertEquals(3, decoder.chunkCount());
        assertEquals(10, decoder.firstRow());
        assertEquals(3, decoder.rows());
        assertEquals(30, decoder.totalRows());
        assertEquals(4, decoder.hidden());
        assertEquals(2, decoder.expertCount());
        assertArrayEquals(new int[] {5, 0, 2, 9, 2, 1}, new int[] {decoder.expertId(0), decoder.expertFirstRow(0),
                decoder.expertRowCount(0), decoder.expertId(1), decoder.expertFirstRow(1), decoder.expertRowCount(1)});
        assertArrayEquals(new float[] {0.5f, 0.25f, 1.5f}, new float[] {decoder.weight(0), decoder.weight(1), decoder.weight(2)});
        assertArrayEquals(new int[] {7, 8, 7}, new int[] {decoder.token(0), decoder.token(1), decoder.token(2)});
        float[] out = new float[13];
        decoder.rows(0, 3, out, 1);
        assertArrayEquals(rows, java.util.Arrays.copyOfRange(out, 1, 13));
    }

    @Test
    void bf16RowsRoundToNearestEven() {
        float halfUp = Float.intBitsToFloat(0x3F808000);      // 1 + 2^-8: halfway, the even neighbour is 1.0
        float halfUpOdd = Float.intBitsToFloat(0x3F818000);   // halfway between 1.0078125 (odd) and 1.015625 (even)
        float aboveHalf = Float.intBitsToFloat(0x3F808001);   // just above halfway: rounds up
        float[] rows = {halfUp, halfUpOdd, aboveHalf, -3.0f, 0f, Float.NEGATIVE_INFINITY, Float.NaN, 1e38f,
                0.1f, 65504f, -1e-40f, 2.5f};
        int length = encodeThreeRows(RowType.BF16, rows);
        assertEquals(RowsMessage.length(2, 3, 4, RowType.BF16), length);

        float[] out = new float[12];
        decoder.wrap(buffer, 3, length).rows(0, 3, out, 0);
        assertEquals(1.0f, out[0]);
        assertEquals(1.015625f, out[1]);
        assertEquals(1.0078125f, out[2]);
        assertEquals(-3.0f, out[3]);
        assertEquals(0f, out[4]);
        assertEquals(Float.NEGATIVE_INFINITY, out[5]);
        assertTrue(Float.isNaN(out[6]));
        for (int i = 7; i < 12; i++) {
            int bits = Float.floatToRawIntBits(rows[i]);
            float expected = Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
            assertEquals(expected, out[i], "value " + rows[i]);
        }
    }

    @Test
    void failureCarriesItsExpertsAndReason() {
        String reason = "java.lang.IllegalStateException: Expert 3 — ÿ überlastet";
        int length = encoder.wrap(buffer, 0)
                .header(Kind.FAILURE, RowType.BF16, 9, 2, 1, 1024)
                .chunk(0, 1, 0, 0, 12)
                .expertCount(2)
                .expert(0, 3, 0, 10)
                .expert(1, 4, 10, 2)
                .reason(reason)
                .encodedLength();
        decoder.wrap(buffer, 0, length);
        assertEquals(Kind.FAILURE, decoder.kind());
        assertEquals(reason, decoder.reason());
        assertEquals(4, decoder.expertId(1));
        assertEquals(12, decoder.totalRows());
    }

    @Test
    void bytesThatAreNotACompleteMessageAreRejected() {
        int length = encodeThreeRows(RowType.F32, new float[12]);
        assertThrows(IllegalArgumentException.class, () -> decoder.wrap(buffer, 3, length - 1));
        assertThrows(IllegalArgumentException.class, () -> decoder.wrap(buffer, 3, RowsMessage.HEADER_LENGTH - 1));
        buffer.putInt(3, 0x12345678);
        assertThrows(IllegalArgumentException.class, () -> decoder.wrap(buffer, 3, length));
    }

    @Test
    void rowsPerChunkIsTheMostThatFit() {
        for (RowType type : RowType.values()) {
            for (int hidden : new int[] {1, 64, 1000, 1024}) {
                int max = 65536 / 8;
                int n = RowsMessage.rowsPerChunk(max, 7, hidden, type);
                assertTrue(RowsMessage.length(7, n, hidden, type) <= max, type + " hidden " + hidden);
                assertTrue(RowsMessage.length(7, n + 1, hidden, type) > max, type + " hidden " + hidden);
            }
        }
    }
}
