package dev.conclave.training.optim;

import dev.conclave.training.Param;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MuonTest {

    private static Param matrix(String name, int rows, int cols, long seed) {
        Param p = new Param(name, Param.Kind.MATRIX, rows, cols);
        System.arraycopy(NewtonSchulzTest.gaussian(rows * cols, seed), 0, p.grad(), 0, rows * cols);
        return p;
    }

    private static double rms(double[] a) {
        double s = 0;
        for (double d : a) {
            s += d * d;
        }
        return Math.sqrt(s / a.length);
    }

    @Test
    void updateRmsIsNearPointTwo() {
        for (int[] shape : new int[][] {{128, 512}, {512, 128}, {64, 64}}) {
            Param p = matrix("w", shape[0], shape[1], 7);
            new Muon(List.of(p), new Muon.Settings(0.95, true, 0)).step(1.0);
            double rms = rms(p.value());
            // Spec §3.2: ≈ 0.17–0.19 after the 0.2·sqrt(max(A, B)) factor (NS5 is not exactly orthogonal).
            assertTrue(rms > 0.15 && rms < 0.2, shape[0] + "x" + shape[1] + " update RMS " + rms);
        }
    }

    @Test
    void nesterovMomentumFeedsNewtonSchulz() {
        int rows = 8;
        int cols = 12;
        Param p = matrix("w", rows, cols, 1);
        double[] g1 = p.grad().clone();
        double[] g2 = NewtonSchulzTest.gaussian(rows * cols, 2);
        double lr = 0.01;
        Muon muon = new Muon(List.of(p), new Muon.Settings(0.95, true, 0));
        muon.step(lr);
        System.arraycopy(g2, 0, p.grad(), 0, g2.length);
        muon.step(lr);
        // By hand: M1 = G1, U1 = G1 + µ G1; M2 = µ G1 + G2, U2 = G2 + µ M2.
        double[] u1 = new double[g1.length];
        double[] u2 = new double[g1.length];
        for (int i = 0; i < g1.length; i++) {
            u1[i] = g1[i] + 0.95 * g1[i];
            u2[i] = g2[i] + 0.95 * (0.95 * g1[i] + g2[i]);
        }
        NewtonSchulz ns = new NewtonSchulz(rows * cols, rows);
        double[] o1 = new double[g1.length];
        double[] o2 = new double[g1.length];
        ns.orthogonalize(u1, rows, cols, o1);
        ns.orthogonalize(u2, rows, cols, o2);
        double scale = lr * 0.2 * Math.sqrt(cols);
        double[] expected = new double[g1.length];
        for (int i = 0; i < g1.length; i++) {
            expected[i] = -scale * (o1[i] + o2[i]);
        }
        assertArrayEquals(expected, p.value(), 1e-15);
    }

    @Test
    void weightDecayIsDecoupledAndUsesTheUnscaledLr() {
        Param p = new Param("w", Param.Kind.MATRIX, 3, 5);
        java.util.Arrays.fill(p.value(), 2.0);
        new Muon(List.of(p), Muon.Settings.glm45()).step(0.5);
        // Zero gradient: NS of 0 is 0, only the decay acts: 2 · (1 − 0.5 · 0.1).
        for (double w : p.value()) {
            assertEquals(1.9, w, 1e-15);
        }
    }

    @Test
    void refusesNonMatrices() {
        Param v = new Param("model.norm.weight", Param.Kind.MATRIX, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Muon(List.of(v), Muon.Settings.glm45()));
        assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());
    }
}
