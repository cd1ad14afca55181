package dev.conclave.core.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BFloat16Test {

    private static int bf16(int float32Bits) {
        return BFloat16.fromFloat(Float.intBitsToFloat(float32Bits)) & 0xFFFF;
    }

    @Test
    void exactValuesKeepTheirUpperHalf() {
        assertEquals(0x3F80, bf16(0x3F800000)); // 1.0
        assertEquals(0xC040, bf16(0xC0400000)); // -3.0
        assertEquals(0x0000, bf16(0x00000000));
        assertEquals(0x8000, bf16(0x80000000)); // -0.0
        assertEquals(0x7F80, bf16(0x7F800000)); // +inf
        assertEquals(0xFF80, bf16(0xFF800000)); // -inf
    }

    @Test
    void roundsToNearest() {
        assertEquals(0x3F81, bf16(0x3F808001)); // just above half an ulp: up
        assertEquals(0x3F80, bf16(0x3F807FFF)); // just below: down
        assertEquals(0xBF81, bf16(0xBF80C000)); // negative, rounds away by magnitude
        assertEquals(0x7F80, bf16(0x7F7FFFFF)); // largest float rounds to infinity, as in PyTorch
    }

    @Test
    void breaksTiesToEven() {
        assertEquals(0x3F80, bf16(0x3F808000)); // 1 + 2^-8: tie, 0x3F80 is even
        assertEquals(0x3F82, bf16(0x3F818000)); // tie between 0x3F81 and 0x3F82: up to even
        assertEquals(0xBF80, bf16(0xBF808000)); // negative tie
    }

    @Test
    void nanStaysNan() {
        for (int nan : new int[]{0x7FC00000, 0x7F800001, 0x7FFFFFFF, 0xFF800001, 0x7F80FFFF}) {
            int bits = bf16(nan);
            assertTrue(Float.isNaN(Float.intBitsToFloat(bits << 16)), Integer.toHexString(nan) + " -> " + Integer.toHexString(bits));
            assertEquals(nan >>> 31, bits >>> 15, "sign of " + Integer.toHexString(nan));
        }
    }
}
