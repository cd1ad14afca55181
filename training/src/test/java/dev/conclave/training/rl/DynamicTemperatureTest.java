package dev.conclave.training.rl;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DynamicTemperatureTest {

    private static final DoubleUnaryOperator NEVER = t -> {
        throw new AssertionError("no sweep expected at τ " + t);
    };

    @Test
    void leastSquaresSlope() {
        assertEquals(0.5, DynamicTemperature.slope(List.of(1.0, 1.5, 2.0, 2.5)), 1e-12);
        assertEquals(0.0, DynamicTemperature.slope(List.of(3.0, 3.0, 3.0)), 1e-12);
        // y = [0, 1, 0, 1]: x̄ = 1.5, ȳ = 0.5, Σ(x−x̄)(y−ȳ) = 1, Σ(x−x̄)² = 5.
        assertEquals(0.2, DynamicTemperature.slope(List.of(0.0, 1.0, 0.0, 1.0)), 1e-12);
    }

    @Test
    void risingRewardKeepsTheTemperature() {
        DynamicTemperature t = new DynamicTemperature(new DynamicTemperature.Config(true, 1.0, 0.05, 1.5, 5, 0.002, 5, 0.01));
        for (int step = 1; step <= 4; step++) {
            assertNull(t.observe(step, 0.01 * step, NEVER));
        }
        DynamicTemperature.Decision d = t.observe(5, 0.05, NEVER);
        assertFalse(d.plateau());
        assertEquals(0.01, d.slope(), 1e-12);
        assertEquals(1.0, t.temperature());
        assertTrue(d.toString().contains("no plateau"), d.toString());
    }

    @Test
    void plateauRaisesToTheLargestTemperatureWithinOnePoint() {
        DynamicTemperature t = new DynamicTemperature(new DynamicTemperature.Config(true, 1.0, 0.05, 1.3, 5, 0.002, 5, 0.01));
        List<Double> asked = new ArrayList<>();
        // Best 0.805 at τ 1.1; 1.2 is within one point (0.797 >= 0.795), 1.25 and 1.3 are not.
        DoubleUnaryOperator accuracy = tau -> {
            asked.add(tau);
            long key = Math.round(tau * 100);
            return key <= 105 ? 0.80 : key == 110 ? 0.805 : key <= 120 ? 0.797 : 0.70;
        };
        for (int step = 1; step <= 4; step++) {
            assertNull(t.observe(step, 0.6, NEVER));
        }
        DynamicTemperature.Decision d = t.observe(5, 0.6, accuracy);
        assertTrue(d.plateau());
        assertEquals(1.2, t.temperature(), 1e-12);
        assertEquals(1.2, d.to(), 1e-12);
        assertArrayEquals(new double[] {1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3},
                asked.stream().mapToDouble(Double::doubleValue).toArray(), 1e-12);
        assertTrue(d.toString().contains("τ 1.00 -> 1.20"), d.toString());
        // The window starts afresh at the new temperature: no decision until it is full again.
        for (int step = 6; step <= 9; step++) {
            assertNull(t.observe(step, 0.6, NEVER));
        }
        assertTrue(t.observe(10, 0.6, tau -> tau < 1.25 ? 0.8 : 0.5).plateau());
        assertEquals(1.2, t.temperature(), 1e-12);
    }

    @Test
    void onlyChecksOnCheckSteps() {
        DynamicTemperature t = new DynamicTemperature(new DynamicTemperature.Config(true, 1.0, 0.1, 1.5, 3, 0.002, 4, 0.01));
        for (int step = 1; step <= 3; step++) {
            assertNull(t.observe(step, 0.5, NEVER));
        }
        assertTrue(t.observe(4, 0.5, tau -> 1 - tau / 5).plateau());
        assertEquals(1.0, t.temperature(), 1e-12);
    }

    @Test
    void fixedTemperatureNeverChanges() {
        DynamicTemperature t = new DynamicTemperature(DynamicTemperature.Config.fixed(0.7));
        for (int step = 1; step <= 200; step++) {
            assertNull(t.observe(step, 0.5, NEVER));
        }
        assertEquals(0.7, t.temperature());
    }
}
