package dev.conclave.dispatch;

import dev.conclave.core.tensor.BFloat16;
import dev.conclave.dispatch.RowsMessage.RowType;
import java.nio.ByteOrder;
import java.util.Objects;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Moves runs of row values between float arrays and message buffers. F32 runs are one memory copy
 * (the wire is little-endian, as is every platform this runs on); BF16 runs are rounded to nearest
 * even on the way out and widened on the way in.
 */
final class RowCopy {

    private static final long FLOAT_BASE = UnsafeApi.arrayBaseOffset(float[].class);

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("the data plane copies float32 rows as little-endian memory");
        }
    }

    private RowCopy() {
    }

    static void write(float[] src, int srcOffset, MutableDirectBuffer dst, int index, int count, RowType type) {
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        dst.boundsCheck(index, count * type.bytes());
        if (type == RowType.F32) {
            UnsafeApi.copyMemory(src, FLOAT_BASE + (long) srcOffset * Float.BYTES,
                    dst.byteArray(), dst.addressOffset() + index, (long) count * Float.BYTES);
        } else {
            for (int i = 0; i < count; i++) {
                dst.putShort(index + 2 * i, BFloat16.fromFloat(src[srcOffset + i]), ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    static void read(DirectBuffer src, int index, float[] dst, int dstOffset, int count, RowType type) {
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        src.boundsCheck(index, count * type.bytes());
        if (type == RowType.F32) {
            UnsafeApi.copyMemory(src.byteArray(), src.addressOffset() + index,
                    dst, FLOAT_BASE + (long) dstOffset * Float.BYTES, (long) count * Float.BYTES);
        } else {
            for (int i = 0; i < count; i++) {
                dst[dstOffset + i] = Float.intBitsToFloat(src.getShort(index + 2 * i, ByteOrder.LITTLE_ENDIAN) << 16);
            }
        }
    }
}
