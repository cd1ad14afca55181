package dev.conclave.training.optim;

import dev.conclave.training.Param;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AdamWTest {

    @Test
    void twoStepsMatchTheHandComputation() {
        Param p = new Param("model.norm.weight", Param.Kind.VECTOR, 2);
        p.value()[0] = 1.0;
        p.value()[1] = -0.5;
        AdamW adam = new AdamW(List.of(p), new AdamW.Settings(0.9, 0.95, 1e-8, 0.1));
        double lr = 0.01;

        p.grad()[0] = 0.2;
        p.grad()[1] = -3.0;
        adam.step(lr);
        // Step 1: m̂ = g and v̂ = g², so the step is lr · g/(|g| + ε) ≈ lr · sign(g), after the decay 1 − lr·λ.
        assertEquals(1.0 * (1 - 0.001) - 0.01 * 0.2 / (0.2 + 1e-8), p.value()[0], 1e-15);
        assertEquals(-0.5 * (1 - 0.001) + 0.01 * 3.0 / (3.0 + 1e-8), p.value()[1], 1e-15);

        double w0 = p.value()[0];
        p.grad()[0] = -0.1;
        adam.step(lr);
        // Step 2 by hand: m = 0.9·0.02 + 0.1·(−0.1) = 0.008; v = 0.95·0.002 + 0.05·0.01 = 0.0024;
        // m̂ = 0.008/0.19; v̂ = 0.0024/0.0975.
        double mHat = 0.008 / 0.19;
        double vHat = 0.0024 / 0.0975;
        assertEquals(w0 * (1 - 0.001) - 0.01 * mHat / (Math.sqrt(vHat) + 1e-8), p.value()[0], 1e-15);
    }

    @Test
    void specDefaults() {
        assertEquals(new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), AdamW.Settings.pretraining());
        assertEquals(new AdamW.Settings(0.9, 0.98, 1e-8, 0.1), AdamW.Settings.rl());
    }
}
