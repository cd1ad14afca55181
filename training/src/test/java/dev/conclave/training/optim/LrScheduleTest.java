package dev.conclave.training.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LrScheduleTest {

    @Test
    void warmupThenCosine() {
        LrSchedule s = new LrSchedule(2.5e-4, 2.5e-5, 10, 110);
        assertEquals(2.5e-5, s.lr(1), 1e-18);
        assertEquals(1.25e-4, s.lr(5), 1e-18);
        assertEquals(2.5e-4, s.lr(10), 1e-18);
        // Half-way through the cosine: the mean of peak and end.
        assertEquals(1.375e-4, s.lr(60), 1e-18);
        // A quarter of the way: end + (peak − end)·(1 + cos(π/4))/2.
        assertEquals(2.5e-5 + 2.25e-4 * (1 + Math.sqrt(0.5)) / 2, s.lr(35), 1e-18);
        assertEquals(2.5e-5, s.lr(110), 1e-18);
        assertEquals(2.5e-5, s.lr(500), 1e-18);
    }

    @Test
    void sftAndConstant() {
        LrSchedule sft = LrSchedule.sft(1e-3, 100);
        assertEquals(3, sft.warmupSteps());
        assertEquals(1e-3, sft.lr(3), 1e-18);
        assertEquals(1e-4, sft.lr(100), 1e-18);
        LrSchedule constant = LrSchedule.constant(1e-6);
        assertEquals(1e-6, constant.lr(1));
        assertEquals(1e-6, constant.lr(1000));
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1, 0, 10, 5));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(1).lr(0));
    }
}
