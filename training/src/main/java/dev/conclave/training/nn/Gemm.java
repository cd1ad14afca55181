package dev.conclave.training.nn;

import dev.conclave.core.parallel.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three float64 matrix products of a linear layer (training spec §5.1), row-major, HF layout
 * W ∈ R^{out×in}: {@code Y = X·Wᵀ}, {@code dX += dY·W} and {@code dW += dYᵀ·X}. Each is register-blocked
 * over {@link DoubleVector} lanes and split over the dimension its writes are disjoint in, so every thread
 * owns its outputs and the row count n may be anything (an expert may see one token).
 */
public final class Gemm {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Products below this many multiply-adds run on the calling thread: waking the team would cost more. */
    private static final long SERIAL_WORK = 1 << 16;

    private Gemm() {
    }

    private static void split(Parallel p, long work, int n, int grain, Parallel.RangeBody body) {
        if (work < SERIAL_WORK) {
            body.run(0, n);
        } else {
            p.forRange(n, grain, body);
        }
    }

    /** {@code y[n×out] = x[n×in]·wᵀ (+ bias)}; bias may be null. */
    public static void forward(double[] x, double[] w, double[] bias, double[] y, int n, int in, int out, Parallel p) {
        split(p, (long) n * in * out, out, 4, (from, to) -> forwardRange(x, w, bias, y, n, in, out, from, to));
    }

    private static void forwardRange(double[] x, double[] w, double[] bias, double[] y, int n, int in, int out,
                                     int from, int to) {
        int bound = S.loopBound(in);
        int o = from;
        for (; o + 4 <= to; o += 4) {
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                forwardBlock(x, w, y, t, o, in, out, bound);
            }
            for (; t < n; t++) {
                for (int k = 0; k < 4; k++) {
                    y[t * out + o + k] = dot(x, t * in, w, (o + k) * in, in);
                }
            }
        }
        for (; o < to; o++) {
            for (int t = 0; t < n; t++) {
                y[t * out + o] = dot(x, t * in, w, o * in, in);
            }
        }
        if (bias != null) {
            for (int t = 0; t < n; t++) {
                for (int k = from; k < to; k++) {
                    y[t * out + k] += bias[k];
                }
            }
        }
    }

    /**
     * {@code y[t..t+4, o..o+4]}: 16 accumulators, each loaded x and w vector used four times; no helper takes
     * a vector argument, so C2 keeps them all in registers.
     */
    private static void forwardBlock(double[] x, double[] w, double[] y, int t, int o, int in, int out, int bound) {
        int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
        int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        DoubleVector a00 = DoubleVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        DoubleVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        DoubleVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        DoubleVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < bound; i += L) {
            DoubleVector c0 = DoubleVector.fromArray(S, w, w0 + i);
            DoubleVector c1 = DoubleVector.fromArray(S, w, w1 + i);
            DoubleVector c2 = DoubleVector.fromArray(S, w, w2 + i);
            DoubleVector c3 = DoubleVector.fromArray(S, w, w3 + i);
            DoubleVector v = DoubleVector.fromArray(S, x, x0 + i);
            a00 = v.fma(c0, a00); a01 = v.fma(c1, a01); a02 = v.fma(c2, a02); a03 = v.fma(c3, a03);
            v = DoubleVector.fromArray(S, x, x1 + i);
            a10 = v.fma(c0, a10); a11 = v.fma(c1, a11); a12 = v.fma(c2, a12); a13 = v.fma(c3, a13);
            v = DoubleVector.fromArray(S, x, x2 + i);
            a20 = v.fma(c0, a20); a21 = v.fma(c1, a21); a22 = v.fma(c2, a22); a23 = v.fma(c3, a23);
            v = DoubleVector.fromArray(S, x, x3 + i);
            a30 = v.fma(c0, a30); a31 = v.fma(c1, a31); a32 = v.fma(c2, a32); a33 = v.fma(c3, a33);
        }
        y[t * out + o] = a00.reduceLanes(VectorOperators.ADD);
        y[t * out + o + 1] = a01.reduceLanes(VectorOperators.ADD);
        y[t * out + o + 2] = a02.reduceLanes(VectorOperators.ADD);
        y[t * out + o + 3] = a03.reduceLanes(VectorOperators.ADD);
        y[(t + 1) * out + o] = a10.reduceLanes(VectorOperators.ADD);
        y[(t + 1) * out + o + 1] = a11.reduceLanes(VectorOperators.ADD);
        y[(t + 1) * out + o + 2] = a12.reduceLanes(VectorOperators.ADD);
        y[(t + 1) * out + o + 3] = a13.reduceLanes(VectorOperators.ADD);
        y[(t + 2) * out + o] = a20.reduceLanes(VectorOperators.ADD);
        y[(t + 2) * out + o + 1] = a21.reduceLanes(VectorOperators.ADD);
        y[(t + 2) * out + o + 2] = a22.reduceLanes(VectorOperators.ADD);
        y[(t + 2) * out + o + 3] = a23.reduceLanes(VectorOperators.ADD);
        y[(t + 3) * out + o] = a30.reduceLanes(VectorOperators.ADD);
        y[(t + 3) * out + o + 1] = a31.reduceLanes(VectorOperators.ADD);
        y[(t + 3) * out + o + 2] = a32.reduceLanes(VectorOperators.ADD);
        y[(t + 3) * out + o + 3] = a33.reduceLanes(VectorOperators.ADD);
        if (bound < in) {
            forwardTail(x, w, y, t, o, in, out, bound);
        }
    }

    /** The scalar remainder past {@code bound} of a 4×4 block of y. */
    private static void forwardTail(double[] x, double[] w, double[] y, int t, int o, int in, int out, int bound) {
        for (int r = t; r < t + 4; r++) {
            for (int c = o; c < o + 4; c++) {
                double sum = 0;
                for (int i = bound; i < in; i++) {
                    sum += x[r * in + i] * w[c * in + i];
                }
                y[r * out + c] += sum;
            }
        }
    }

    /**
     * Both backward products of a linear layer in one parallel region: {@code dw += dyᵀ·x} split over the
     * rows of W and, when dx is not null, {@code dx += dy·w} split over the columns of dx.
     */
    public static void backward(double[] dy, double[] x, double[] w, double[] dw, double[] dx, int n, int in, int out,
                                Parallel p) {
        int threads = p.threads();
        if ((long) n * in * out < SERIAL_WORK || threads == 1) {
            backwardWeightRange(dy, x, dw, n, in, out, 0, out);
            if (dx != null) {
                backwardInputRange(dy, w, dx, n, in, out, 0, in);
            }
            return;
        }
        p.forRange(threads, (from, to) -> {
            for (int u = from; u < to; u++) {
                backwardWeightRange(dy, x, dw, n, in, out, part(out, 4, u, threads), part(out, 4, u + 1, threads));
                if (dx != null) {
                    backwardInputRange(dy, w, dx, n, in, out, part(in, 4 * L, u, threads),
                            part(in, 4 * L, u + 1, threads));
                }
            }
        });
    }

    /** Boundary u of [0, n) cut into {@code parts} pieces on multiples of grain. */
    private static int part(int n, int grain, int u, int parts) {
        int blocks = (n + grain - 1) / grain;
        return Math.min(n, (int) ((long) blocks * u / parts) * grain);
    }

    /** {@code dx[n×in] += dy[n×out]·w} for columns [from, to) of dx. */
    private static void backwardInputRange(double[] dy, double[] w, double[] dx, int n, int in, int out,
                                           int from, int to) {
        int i = from;
        for (; i + 4 * L <= to; i += 4 * L) {
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                backwardInputBlock(dy, w, dx, t, i, in, out);
            }
            for (; t < n; t++) {
                backwardInputRow(dy, w, dx, t, i, in, out);
                backwardInputRow(dy, w, dx, t, i + 2 * L, in, out);
            }
        }
        for (; i + 2 * L <= to; i += 2 * L) {
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                int g0 = t * out, g1 = g0 + out, g2 = g1 + out, g3 = g2 + out;
                DoubleVector a00 = DoubleVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
                DoubleVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int o = 0; o < out; o++) {
                    DoubleVector c0 = DoubleVector.fromArray(S, w, o * in + i);
                    DoubleVector c1 = DoubleVector.fromArray(S, w, o * in + i + L);
                    DoubleVector d0 = DoubleVector.broadcast(S, dy[g0 + o]);
                    DoubleVector d1 = DoubleVector.broadcast(S, dy[g1 + o]);
                    DoubleVector d2 = DoubleVector.broadcast(S, dy[g2 + o]);
                    DoubleVector d3 = DoubleVector.broadcast(S, dy[g3 + o]);
                    a00 = c0.fma(d0, a00); a01 = c1.fma(d0, a01);
                    a10 = c0.fma(d1, a10); a11 = c1.fma(d1, a11);
                    a20 = c0.fma(d2, a20); a21 = c1.fma(d2, a21);
                    a30 = c0.fma(d3, a30); a31 = c1.fma(d3, a31);
                }
                add(dx, t * in + i, a00);
                add(dx, t * in + i + L, a01);
                add(dx, (t + 1) * in + i, a10);
                add(dx, (t + 1) * in + i + L, a11);
                add(dx, (t + 2) * in + i, a20);
                add(dx, (t + 2) * in + i + L, a21);
                add(dx, (t + 3) * in + i, a30);
                add(dx, (t + 3) * in + i + L, a31);
            }
            for (; t < n; t++) {
                backwardInputRow(dy, w, dx, t, i, in, out);
            }
        }
        for (; i < to; i++) {
            for (int t = 0; t < n; t++) {
                double s = 0;
                for (int o = 0; o < out; o++) {
                    s += dy[t * out + o] * w[o * in + i];
                }
                dx[t * in + i] += s;
            }
        }
    }

    /** {@code dx[t..t+4, i..i+4L] += dy·w}: 16 accumulators, each loaded w vector used four times. */
    private static void backwardInputBlock(double[] dy, double[] w, double[] dx, int t, int i, int in, int out) {
        int g0 = t * out, g1 = g0 + out, g2 = g1 + out, g3 = g2 + out;
        DoubleVector a00 = DoubleVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        DoubleVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        DoubleVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        DoubleVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int o = 0; o < out; o++) {
            int wo = o * in + i;
            DoubleVector c0 = DoubleVector.fromArray(S, w, wo);
            DoubleVector c1 = DoubleVector.fromArray(S, w, wo + L);
            DoubleVector c2 = DoubleVector.fromArray(S, w, wo + 2 * L);
            DoubleVector c3 = DoubleVector.fromArray(S, w, wo + 3 * L);
            DoubleVector d = DoubleVector.broadcast(S, dy[g0 + o]);
            a00 = c0.fma(d, a00); a01 = c1.fma(d, a01); a02 = c2.fma(d, a02); a03 = c3.fma(d, a03);
            d = DoubleVector.broadcast(S, dy[g1 + o]);
            a10 = c0.fma(d, a10); a11 = c1.fma(d, a11); a12 = c2.fma(d, a12); a13 = c3.fma(d, a13);
            d = DoubleVector.broadcast(S, dy[g2 + o]);
            a20 = c0.fma(d, a20); a21 = c1.fma(d, a21); a22 = c2.fma(d, a22); a23 = c3.fma(d, a23);
            d = DoubleVector.broadcast(S, dy[g3 + o]);
            a30 = c0.fma(d, a30); a31 = c1.fma(d, a31); a32 = c2.fma(d, a32); a33 = c3.fma(d, a33);
        }
        add(dx, t * in + i, a00);
        add(dx, t * in + i + L, a01);
        add(dx, t * in + i + 2 * L, a02);
        add(dx, t * in + i + 3 * L, a03);
        add(dx, (t + 1) * in + i, a10);
        add(dx, (t + 1) * in + i + L, a11);
        add(dx, (t + 1) * in + i + 2 * L, a12);
        add(dx, (t + 1) * in + i + 3 * L, a13);
        add(dx, (t + 2) * in + i, a20);
        add(dx, (t + 2) * in + i + L, a21);
        add(dx, (t + 2) * in + i + 2 * L, a22);
        add(dx, (t + 2) * in + i + 3 * L, a23);
        add(dx, (t + 3) * in + i, a30);
        add(dx, (t + 3) * in + i + L, a31);
        add(dx, (t + 3) * in + i + 2 * L, a32);
        add(dx, (t + 3) * in + i + 3 * L, a33);
    }

    /** {@code dx[t, i..i+2L] += dy[t]·w}. */
    private static void backwardInputRow(double[] dy, double[] w, double[] dx, int t, int i, int in, int out) {
        DoubleVector a0 = DoubleVector.zero(S), a1 = a0;
        for (int o = 0; o < out; o++) {
            DoubleVector d = DoubleVector.broadcast(S, dy[t * out + o]);
            a0 = DoubleVector.fromArray(S, w, o * in + i).fma(d, a0);
            a1 = DoubleVector.fromArray(S, w, o * in + i + L).fma(d, a1);
        }
        add(dx, t * in + i, a0);
        add(dx, t * in + i + L, a1);
    }

    /** {@code dw[o..o+4, i..i+4L] += dyᵀ·x} over all n rows: 16 accumulators, each x vector used four times. */
    private static void backwardWeightBlock(double[] dy, double[] x, double[] dw, int n, int o, int i, int in, int out) {
        DoubleVector a00 = DoubleVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        DoubleVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        DoubleVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        DoubleVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int t = 0; t < n; t++) {
            int xo = t * in + i;
            DoubleVector v0 = DoubleVector.fromArray(S, x, xo);
            DoubleVector v1 = DoubleVector.fromArray(S, x, xo + L);
            DoubleVector v2 = DoubleVector.fromArray(S, x, xo + 2 * L);
            DoubleVector v3 = DoubleVector.fromArray(S, x, xo + 3 * L);
            int g = t * out + o;
            DoubleVector d = DoubleVector.broadcast(S, dy[g]);
            a00 = v0.fma(d, a00); a01 = v1.fma(d, a01); a02 = v2.fma(d, a02); a03 = v3.fma(d, a03);
            d = DoubleVector.broadcast(S, dy[g + 1]);
            a10 = v0.fma(d, a10); a11 = v1.fma(d, a11); a12 = v2.fma(d, a12); a13 = v3.fma(d, a13);
            d = DoubleVector.broadcast(S, dy[g + 2]);
            a20 = v0.fma(d, a20); a21 = v1.fma(d, a21); a22 = v2.fma(d, a22); a23 = v3.fma(d, a23);
            d = DoubleVector.broadcast(S, dy[g + 3]);
            a30 = v0.fma(d, a30); a31 = v1.fma(d, a31); a32 = v2.fma(d, a32); a33 = v3.fma(d, a33);
        }
        add(dw, o * in + i, a00);
        add(dw, o * in + i + L, a01);
        add(dw, o * in + i + 2 * L, a02);
        add(dw, o * in + i + 3 * L, a03);
        add(dw, (o + 1) * in + i, a10);
        add(dw, (o + 1) * in + i + L, a11);
        add(dw, (o + 1) * in + i + 2 * L, a12);
        add(dw, (o + 1) * in + i + 3 * L, a13);
        add(dw, (o + 2) * in + i, a20);
        add(dw, (o + 2) * in + i + L, a21);
        add(dw, (o + 2) * in + i + 2 * L, a22);
        add(dw, (o + 2) * in + i + 3 * L, a23);
        add(dw, (o + 3) * in + i, a30);
        add(dw, (o + 3) * in + i + L, a31);
        add(dw, (o + 3) * in + i + 2 * L, a32);
        add(dw, (o + 3) * in + i + 3 * L, a33);
    }

    /** {@code dw[out×in] += dyᵀ·x}, the sum over all n rows, for rows [from, to) of dw. */
    private static void backwardWeightRange(double[] dy, double[] x, double[] dw, int n, int in, int out,
                                            int from, int to) {
        int o = from;
        for (; o + 4 <= to; o += 4) {
            int i = 0;
            for (; i + 4 * L <= in; i += 4 * L) {
                backwardWeightBlock(dy, x, dw, n, o, i, in, out);
            }
            for (; i + 2 * L <= in; i += 2 * L) {
                DoubleVector a00 = DoubleVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
                DoubleVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int t = 0; t < n; t++) {
                    DoubleVector v0 = DoubleVector.fromArray(S, x, t * in + i);
                    DoubleVector v1 = DoubleVector.fromArray(S, x, t * in + i + L);
                    int g = t * out + o;
                    DoubleVector d0 = DoubleVector.broadcast(S, dy[g]);
                    DoubleVector d1 = DoubleVector.broadcast(S, dy[g + 1]);
                    DoubleVector d2 = DoubleVector.broadcast(S, dy[g + 2]);
                    DoubleVector d3 = DoubleVector.broadcast(S, dy[g + 3]);
                    a00 = v0.fma(d0, a00); a01 = v1.fma(d0, a01);
                    a10 = v0.fma(d1, a10); a11 = v1.fma(d1, a11);
                    a20 = v0.fma(d2, a20); a21 = v1.fma(d2, a21);
                    a30 = v0.fma(d3, a30); a31 = v1.fma(d3, a31);
                }
                add(dw, o * in + i, a00);
                add(dw, o * in + i + L, a01);
                add(dw, (o + 1) * in + i, a10);
                add(dw, (o + 1) * in + i + L, a11);
                add(dw, (o + 2) * in + i, a20);
                add(dw, (o + 2) * in + i + L, a21);
                add(dw, (o + 3) * in + i, a30);
                add(dw, (o + 3) * in + i + L, a31);
            }
            for (; i < in; i++) {
                for (int k = 0; k < 4; k++) {
                    double s = 0;
                    for (int t = 0; t < n; t++) {
                        s += dy[t * out + o + k] * x[t * in + i];
                    }
                    dw[(o + k) * in + i] += s;
                }
            }
        }
        for (; o < to; o++) {
            for (int t = 0; t < n; t++) {
                axpy(dy[t * out + o], x, t * in, dw, o * in, in);
            }
        }
    }

    /** {@code db[out] += Σ_t dy[t]}: the bias gradient of a linear layer. */
    public static void backwardBias(double[] dy, double[] db, int n, int out) {
        for (int t = 0; t < n; t++) {
            axpy(1, dy, t * out, db, 0, out);
        }
    }

    /** {@code a[offset..offset+L) += v}; small enough for C2 to inline, so v stays in a register (a helper taking two vectors was not inlined and boxed them, at a fifth of the speed). */
    private static void add(double[] a, int offset, DoubleVector v) {
        DoubleVector.fromArray(S, a, offset).add(v).intoArray(a, offset);
    }

    /** {@code Σ_j a[ao+j]·b[bo+j]} over {@code len} elements. */
    public static double dot(double[] a, int ao, double[] b, int bo, int len) {
        int bound = S.loopBound(len);
        DoubleVector acc = DoubleVector.zero(S);
        for (int j = 0; j < bound; j += L) {
            acc = DoubleVector.fromArray(S, a, ao + j).fma(DoubleVector.fromArray(S, b, bo + j), acc);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (int j = bound; j < len; j++) {
            s += a[ao + j] * b[bo + j];
        }
        return s;
    }

    /** {@code y[yo..yo+len) += alpha · x[xo..xo+len)}. */
    public static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int len) {
        int bound = S.loopBound(len);
        DoubleVector a = DoubleVector.broadcast(S, alpha);
        for (int j = 0; j < bound; j += L) {
            DoubleVector.fromArray(S, x, xo + j).fma(a, DoubleVector.fromArray(S, y, yo + j)).intoArray(y, yo + j);
        }
        for (int j = bound; j < len; j++) {
            y[yo + j] += alpha * x[xo + j];
        }
    }
}
