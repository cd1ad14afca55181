package dev.conclave.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Partial NeoX RoPE (spec §3.4) on an 8-dim head with R = 4 rotary dims and theta = 10000: pair j is
 * (j, j + 2), rotated by {@code p · 10000^(-2j/4)}, i.e. 1 rad per position for j = 0 and 0.01 rad for j = 1;
 * dims 4..7 pass through.
 */
class RopeTest {

    private static final int HEAD_DIM = 8;
    private static final int R = 4;
    private static final float TOL = 1e-6f;

    private static float[] rotated(float[] head, int pos) {
        float[] x = head.clone();
        new Rope(R, 10000).rotate(x, 0, pos);
        return x;
    }

    private static float[] unit(int dim) {
        float[] x = new float[HEAD_DIM];
        x[dim] = 1;
        return x;
    }

    /**
     * e_0 at position 1 turns towards dim R/2 = 2: [cos 1, 0, sin 1, 0, ...]. Interleaved (GPT-J) RoPE
     * would put sin 1 in dim 1, full-head rotation in dim 4.
     */
    @Test
    void dimJPairsWithDimJPlusHalfR() {
        float c = (float) Math.cos(1), s = (float) Math.sin(1);
        assertArrayEquals(new float[] {c, 0, s, 0, 0, 0, 0, 0}, rotated(unit(0), 1), TOL);
        assertArrayEquals(new float[] {-s, 0, c, 0, 0, 0, 0, 0}, rotated(unit(2), 1), TOL);
    }

    /** Pair 1 turns by 1 · 10000^(-2/R) = 0.01 rad; with the exponent over head_dim it would be 0.1 rad. */
    @Test
    void inverseFrequencyExponentRunsOverRotaryDimNotHeadDim() {
        float c = (float) Math.cos(0.01), s = (float) Math.sin(0.01);
        assertArrayEquals(new float[] {0, c, 0, s, 0, 0, 0, 0}, rotated(unit(1), 1), TOL);
        // at position 7: 0.07 rad
        float c7 = (float) Math.cos(0.07), s7 = (float) Math.sin(0.07);
        assertArrayEquals(new float[] {0, c7, 0, s7, 0, 0, 0, 0}, rotated(unit(1), 7), TOL);
    }

    /** Dims R..D-1 are not touched at any position. */
    @Test
    void dimsFromRotaryDimOnPassThrough() {
        float[] tail = {0, 0, 0, 0, 5, -6, 7, -8};
        for (int pos : new int[] {1, 3, 100}) {
            assertArrayEquals(tail, rotated(tail, pos), 0f, "position " + pos);
        }
    }

    @Test
    void positionZeroIsTheIdentity() {
        float[] x = {0.3f, -1.7f, 2.5f, 4f, 5f, -6f, 7f, -8f};
        assertArrayEquals(x, rotated(x, 0), 0f);
    }

    /** A general vector at position 3: both pairs rotate by their own angle, 3 rad and 0.03 rad. */
    @Test
    void generalVectorRotatesEachPairByItsOwnAngle() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        double a0 = 3, a1 = 0.03;
        float[] expected = {
            (float) (1 * Math.cos(a0) - 3 * Math.sin(a0)),
            (float) (2 * Math.cos(a1) - 4 * Math.sin(a1)),
            (float) (3 * Math.cos(a0) + 1 * Math.sin(a0)),
            (float) (4 * Math.cos(a1) + 2 * Math.sin(a1)),
            5, 6, 7, 8};
        assertArrayEquals(expected, rotated(x, 3), 1e-5f);
    }

    /** The cos/sin tables grow on demand; late positions must match a fresh table, and offsets are honoured. */
    @Test
    void tablesGrownByEarlierPositionsGiveTheSameRotation() {
        Rope rope = new Rope(R, 10000);
        float[] buffer = new float[3 * HEAD_DIM];
        for (int pos = 0; pos < 200; pos++) {
            rope.rotate(buffer, HEAD_DIM, pos); // grows the tables step by step
        }
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        System.arraycopy(x, 0, buffer, HEAD_DIM, HEAD_DIM);
        rope.rotate(buffer, HEAD_DIM, 150);
        float[] head = java.util.Arrays.copyOfRange(buffer, HEAD_DIM, 2 * HEAD_DIM);
        double a0 = 150, a1 = 1.5;
        float[] expected = {
            (float) (1 * Math.cos(a0) - 3 * Math.sin(a0)),
            (float) (2 * Math.cos(a1) - 4 * Math.sin(a1)),
            (float) (3 * Math.cos(a0) + 1 * Math.sin(a0)),
            (float) (4 * Math.cos(a1) + 2 * Math.sin(a1)),
            5, 6, 7, 8};
        assertArrayEquals(expected, head, 1e-5f);
        assertArrayEquals(new float[HEAD_DIM], java.util.Arrays.copyOfRange(buffer, 0, HEAD_DIM), "rows around the offset");
    }

    @Test
    void oddRotaryDimIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Rope(5, 10000));
    }
}
