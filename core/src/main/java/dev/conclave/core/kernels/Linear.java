package dev.conclave.core.kernels;

import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Matrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out[i, r] = Σ_k x[i, k] · W[r, k]} for a weight matrix in F32, BF16 or F16, accumulated in
 * float32. Every call works on a row range {@code [r0, r1)} of W so that callers split products across
 * threads.
 *
 * <p>Two regimes. Decode (fewer than four activation rows) is bound by memory bandwidth: BF16 weights
 * are widened in registers as they stream past, four weight rows per pass. Prefill (four or more rows)
 * is bound by arithmetic: each block of four weight rows is widened once into a float32 scratch that
 * stays in L1, then multiplied with every block of four activation rows by a 4×4 register tile.
 */
public final class Linear {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Half-width shorts: one load of L bf16 values widens to one float vector. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class,
            jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int HIGH_HALF = 0xFFFF0000;

    private Linear() {
    }

    /**
     * Rows {@code [r0, r1)} of the product for all {@code x.n()} activation rows; writes
     * {@code out[outOffset + i * outStride + r]}.
     */
    public static void multiply(Matrix w, Rows x, float[] out, int outOffset, int outStride, int r0, int r1) {
        if (x.k() != w.cols()) {
            throw new IllegalArgumentException("activation width " + x.k() + " does not match " + w.name()
                    + " with " + w.cols() + " columns");
        }
        if (x.n() < 4 && w.dtype() == DType.BF16) {
            streamBf16(w, x, out, outOffset, outStride, r0, r1);
        } else {
            blocked(w, x, out, outOffset, outStride, r0, r1);
        }
    }

    // ---- decode: BF16 rows widened in registers ----

    /**
     * Activation rows go in pairs, so two or three rows (a speculative verification) stream the weights
     * once or twice rather than once per row; each output is summed in the same order as for a lone row.
     */
    private static void streamBf16(Matrix w, Rows x, float[] out, int outOffset, int outStride, int r0, int r1) {
        int i = 0;
        for (; i + 2 <= x.n(); i += 2) {
            int o = outOffset + i * outStride;
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                row4Bf16Pair(w.data(), w.rowBytes(), w.cols(), x, i, r, out, o + r, outStride);
            }
            for (; r < r1; r++) {
                out[o + r] = dot(w, r, x.plain(), i * w.cols());
                out[o + outStride + r] = dot(w, r, x.plain(), (i + 1) * w.cols());
            }
        }
        for (; i < x.n(); i++) {
            int o = outOffset + i * outStride;
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                row4Bf16(w.data(), w.rowBytes(), w.cols(), x, i, r, out, o + r);
            }
            for (; r < r1; r++) {
                out[o + r] = dot(w, r, x.plain(), i * w.cols());
            }
        }
    }

    /**
     * A BF16 row read as 32-bit lanes holds element 2j in the low half of lane j and 2j+1 in the high
     * half: a shift and a mask widen both, and they meet the activations' even and odd elements.
     */
    private static void row4Bf16(MemorySegment m, long rb, int cols, Rows x, int i, int r, float[] out, int o) {
        int half = cols >> 1;
        long b0 = r * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        float[] xe = x.even(), xd = x.odd();
        int xo = i * half;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int j = 0;
        int bound = I.loopBound(half);
        for (; j < bound; j += L) {
            FloatVector ev = FloatVector.fromArray(F, xe, xo + j);
            FloatVector od = FloatVector.fromArray(F, xd, xo + j);
            long off = (long) j * 4;
            IntVector p0 = IntVector.fromMemorySegment(I, m, b0 + off, LE);
            IntVector p1 = IntVector.fromMemorySegment(I, m, b1 + off, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, m, b2 + off, LE);
            IntVector p3 = IntVector.fromMemorySegment(I, m, b3 + off, LE);
            a0 = even(p0).fma(ev, odd(p0).fma(od, a0));
            a1 = even(p1).fma(ev, odd(p1).fma(od, a1));
            a2 = even(p2).fma(ev, odd(p2).fma(od, a2));
            a3 = even(p3).fma(ev, odd(p3).fma(od, a3));
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        float[] xs = x.plain();
        for (int e = 2 * j; e < cols; e++) {
            float xv = xs[i * cols + e];
            s0 += DType.BF16.read(m, (b0 >> 1) + e) * xv;
            s1 += DType.BF16.read(m, (b1 >> 1) + e) * xv;
            s2 += DType.BF16.read(m, (b2 >> 1) + e) * xv;
            s3 += DType.BF16.read(m, (b3 >> 1) + e) * xv;
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }

    /** {@link #row4Bf16} for activation rows i and i + 1 at once: each weight vector is loaded and widened once. */
    private static void row4Bf16Pair(MemorySegment m, long rb, int cols, Rows x, int i, int r, float[] out, int o,
                                     int stride) {
        int half = cols >> 1;
        long b0 = r * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        float[] xe = x.even(), xd = x.odd();
        int xa = i * half, xb = xa + half;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        int j = 0;
        int bound = I.loopBound(half);
        for (; j < bound; j += L) {
            FloatVector eva = FloatVector.fromArray(F, xe, xa + j);
            FloatVector oda = FloatVector.fromArray(F, xd, xa + j);
            FloatVector evb = FloatVector.fromArray(F, xe, xb + j);
            FloatVector odb = FloatVector.fromArray(F, xd, xb + j);
            long off = (long) j * 4;
            IntVector p0 = IntVector.fromMemorySegment(I, m, b0 + off, LE);
            IntVector p1 = IntVector.fromMemorySegment(I, m, b1 + off, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, m, b2 + off, LE);
            IntVector p3 = IntVector.fromMemorySegment(I, m, b3 + off, LE);
            FloatVector e0 = even(p0), e1 = even(p1), e2 = even(p2), e3 = even(p3);
            FloatVector d0 = odd(p0), d1 = odd(p1), d2 = odd(p2), d3 = odd(p3);
            a0 = e0.fma(eva, d0.fma(oda, a0));
            a1 = e1.fma(eva, d1.fma(oda, a1));
            a2 = e2.fma(eva, d2.fma(oda, a2));
            a3 = e3.fma(eva, d3.fma(oda, a3));
            c0 = e0.fma(evb, d0.fma(odb, c0));
            c1 = e1.fma(evb, d1.fma(odb, c1));
            c2 = e2.fma(evb, d2.fma(odb, c2));
            c3 = e3.fma(evb, d3.fma(odb, c3));
        }
        int ob = o + stride;
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a3.reduceLanes(VectorOperators.ADD);
        out[ob] = c0.reduceLanes(VectorOperators.ADD);
        out[ob + 1] = c1.reduceLanes(VectorOperators.ADD);
        out[ob + 2] = c2.reduceLanes(VectorOperators.ADD);
        out[ob + 3] = c3.reduceLanes(VectorOperators.ADD);
        // Odd tails in the same order as row4Bf16, so each output equals the lone-row one bit for bit.
        float[] xs = x.plain();
        for (int a = 0; a < 2; a++) {
            int row = (i + a) * cols;
            int oa = o + a * stride;
            for (int e = 2 * j; e < cols; e++) {
                float xv = xs[row + e];
                out[oa] += DType.BF16.read(m, (b0 >> 1) + e) * xv;
                out[oa + 1] += DType.BF16.read(m, (b1 >> 1) + e) * xv;
                out[oa + 2] += DType.BF16.read(m, (b2 >> 1) + e) * xv;
                out[oa + 3] += DType.BF16.read(m, (b3 >> 1) + e) * xv;
            }
        }
    }

    private static FloatVector even(IntVector p) {
        return p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector odd(IntVector p) {
        return p.and(HIGH_HALF).reinterpretAsFloats();
    }

    // ---- prefill (and any F16 or F32 product): float32 weight blocks, 4×4 register tiles ----

    private static void blocked(Matrix w, Rows x, float[] out, int outOffset, int outStride, int r0, int r1) {
        int k = w.cols();
        int n = x.n();
        boolean direct = w.dtype() == DType.F32;
        float[] scratch = direct ? null : new float[4 * k];
        MemorySegment scratchSegment = direct ? null : MemorySegment.ofArray(scratch);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            MemorySegment block;
            long base;
            if (direct) {
                block = w.data();
                base = r * w.rowBytes();
            } else {
                widen(w, r, 4, scratch);
                block = scratchSegment;
                base = 0;
            }
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                tile4x4(block, base, k, x.plain(), i, out, outOffset + r, outStride);
            }
            for (; i < n; i++) {
                row4F32(block, base, k, x.plain(), i * k, out, outOffset + i * outStride + r);
            }
        }
        for (; r < r1; r++) {
            for (int i = 0; i < n; i++) {
                out[outOffset + i * outStride + r] = dot(w, r, x.plain(), i * k);
            }
        }
    }

    /** Widens {@code count} rows of a 16-bit matrix from row {@code r} into float32. */
    static void widen(Matrix w, int r, int count, float[] dst) {
        MemorySegment m = w.data();
        int k = w.cols();
        long start = (long) r * k;
        int n = count * k;
        int bound = F.loopBound(n);
        int j = 0;
        if (w.dtype() == DType.BF16) {
            for (; j < bound; j += L) {
                ShortVector s = ShortVector.fromMemorySegment(S, m, (start + j) * 2, LE);
                IntVector wide = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
                wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, j);
            }
        }
        for (; j < n; j++) {
            dst[j] = w.dtype().read(m, start + j);
        }
    }

    private static void row4F32(MemorySegment m, long b0, int k, float[] xs, int xo, float[] out, int o) {
        long rb = (long) k * 4;
        long b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int j = 0;
        int bound = F.loopBound(k);
        for (; j < bound; j += L) {
            FloatVector xv = FloatVector.fromArray(F, xs, xo + j);
            long off = (long) j * 4;
            a0 = FloatVector.fromMemorySegment(F, m, b0 + off, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, m, b1 + off, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, m, b2 + off, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, m, b3 + off, LE).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; j < k; j++) {
            float xv = xs[xo + j];
            s0 += DType.F32.read(m, (b0 >> 2) + j) * xv;
            s1 += DType.F32.read(m, (b1 >> 2) + j) * xv;
            s2 += DType.F32.read(m, (b2 >> 2) + j) * xv;
            s3 += DType.F32.read(m, (b3 >> 2) + j) * xv;
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }

    /** Four float32 weight rows at {@code b0} against activation rows {@code i..i+3}: 16 accumulators. */
    private static void tile4x4(MemorySegment m, long b0, int k, float[] xs, int i, float[] out, int o, int stride) {
        long rb = (long) k * 4;
        long b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        int bound = F.loopBound(k);
        int j = 0;
        for (; j < bound; j += L) {
            long off = (long) j * 4;
            FloatVector w0 = FloatVector.fromMemorySegment(F, m, b0 + off, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, m, b1 + off, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, m, b2 + off, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, m, b3 + off, LE);
            FloatVector v = FloatVector.fromArray(F, xs, x0 + j);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            c02 = w2.fma(v, c02);
            c03 = w3.fma(v, c03);
            v = FloatVector.fromArray(F, xs, x1 + j);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            c12 = w2.fma(v, c12);
            c13 = w3.fma(v, c13);
            v = FloatVector.fromArray(F, xs, x2 + j);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            c22 = w2.fma(v, c22);
            c23 = w3.fma(v, c23);
            v = FloatVector.fromArray(F, xs, x3 + j);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            c32 = w2.fma(v, c32);
            c33 = w3.fma(v, c33);
        }
        store(out, o + i * stride, c00, c01, c02, c03);
        store(out, o + (i + 1) * stride, c10, c11, c12, c13);
        store(out, o + (i + 2) * stride, c20, c21, c22, c23);
        store(out, o + (i + 3) * stride, c30, c31, c32, c33);
        for (; j < k; j++) {
            for (int a = 0; a < 4; a++) {
                for (int q = 0; q < 4; q++) {
                    out[o + (i + a) * stride + q] += DType.F32.read(m, (b0 >> 2) + q * (long) k + j) * xs[(i + a) * k + j];
                }
            }
        }
    }

    private static void store(float[] out, int o, FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        out[o] = a.reduceLanes(VectorOperators.ADD);
        out[o + 1] = b.reduceLanes(VectorOperators.ADD);
        out[o + 2] = c.reduceLanes(VectorOperators.ADD);
        out[o + 3] = d.reduceLanes(VectorOperators.ADD);
    }

    private static float dot(Matrix w, int r, float[] xs, int xo) {
        int k = w.cols();
        float s = 0f;
        for (int e = 0; e < k; e++) {
            s += Weights.at(w, r, e) * xs[xo + e];
        }
        return s;
    }
}
