package dev.conclave.core.kernels;

import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Matrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out[i, r] = Σ_k x[i, k] · W[r, k]} for a weight matrix in F32, BF16 or F16, accumulated in
 * float32. Every method works on a row range {@code [r0, r1)} of W so that a caller can split one
 * product (or several) across threads. Decode (one activation row) is bound by memory bandwidth;
 * prefill (many rows) reuses each weight vector for four activation rows at once.
 */
public final class Linear {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
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
        int n = x.n();
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                tile4x4(w, x, i, r, out, outOffset, outStride);
            }
            for (; r < r1; r++) {
                for (int ii = i; ii < i + 4; ii++) {
                    out[outOffset + ii * outStride + r] = dot(w, r, x, ii);
                }
            }
        }
        for (; i < n; i++) {
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                row4(w, x, i, r, out, outOffset + i * outStride + r);
            }
            for (; r < r1; r++) {
                out[outOffset + i * outStride + r] = dot(w, r, x, i);
            }
        }
    }

    // ---- one activation row, four weight rows (decode) ----

    private static void row4(Matrix w, Rows x, int i, int r, float[] out, int o) {
        if (w.dtype() == DType.F32) {
            row4F32(w, x, i, r, out, o);
        } else {
            row4Half(w, x, i, r, out, o, w.dtype() == DType.F16);
        }
    }

    private static void row4F32(Matrix w, Rows x, int i, int r, float[] out, int o) {
        MemorySegment m = w.data();
        int k = w.cols();
        long rb = w.rowBytes();
        long b0 = r * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        float[] xs = x.plain();
        int xo = i * k;
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
            s0 += Weights.at(w, r, j) * xv;
            s1 += Weights.at(w, r + 1, j) * xv;
            s2 += Weights.at(w, r + 2, j) * xv;
            s3 += Weights.at(w, r + 3, j) * xv;
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }

    private static void row4Half(Matrix w, Rows x, int i, int r, float[] out, int o, boolean f16) {
        MemorySegment m = w.data();
        int half = w.cols() >> 1;
        long rb = w.rowBytes();
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
            a0 = low(p0, f16).fma(ev, high(p0, f16).fma(od, a0));
            a1 = low(p1, f16).fma(ev, high(p1, f16).fma(od, a1));
            a2 = low(p2, f16).fma(ev, high(p2, f16).fma(od, a2));
            a3 = low(p3, f16).fma(ev, high(p3, f16).fma(od, a3));
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (int e = 2 * j; e < w.cols(); e++) {
            float xv = x.plain()[i * w.cols() + e];
            s0 += Weights.at(w, r, e) * xv;
            s1 += Weights.at(w, r + 1, e) * xv;
            s2 += Weights.at(w, r + 2, e) * xv;
            s3 += Weights.at(w, r + 3, e) * xv;
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }

    // ---- four activation rows, four weight rows (prefill) ----

    private static void tile4x4(Matrix w, Rows x, int i, int r, float[] out, int outOffset, int stride) {
        if (w.dtype() == DType.F32) {
            tileF32(w, x, i, r, out, outOffset, stride);
        } else {
            tileHalf(w, x, i, r, out, outOffset, stride, w.dtype() == DType.F16);
        }
    }

    private static void tileF32(Matrix w, Rows x, int i, int r, float[] out, int outOffset, int stride) {
        MemorySegment m = w.data();
        int k = w.cols();
        long rb = w.rowBytes();
        float[] xs = x.plain();
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        FloatVector[] acc = new FloatVector[16];
        java.util.Arrays.fill(acc, FloatVector.zero(F));
        int bound = F.loopBound(k);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector v0 = FloatVector.fromArray(F, xs, x0 + j);
            FloatVector v1 = FloatVector.fromArray(F, xs, x1 + j);
            FloatVector v2 = FloatVector.fromArray(F, xs, x2 + j);
            FloatVector v3 = FloatVector.fromArray(F, xs, x3 + j);
            for (int q = 0; q < 4; q++) {
                FloatVector wv = FloatVector.fromMemorySegment(F, m, (r + q) * rb + (long) j * 4, LE);
                acc[q] = wv.fma(v0, acc[q]);
                acc[4 + q] = wv.fma(v1, acc[4 + q]);
                acc[8 + q] = wv.fma(v2, acc[8 + q]);
                acc[12 + q] = wv.fma(v3, acc[12 + q]);
            }
        }
        finishTile(w, x, i, r, out, outOffset, stride, acc, j);
    }

    private static void tileHalf(Matrix w, Rows x, int i, int r, float[] out, int outOffset, int stride,
                                 boolean f16) {
        MemorySegment m = w.data();
        int half = w.cols() >> 1;
        long rb = w.rowBytes();
        float[] xe = x.even(), xd = x.odd();
        int x0 = i * half, x1 = x0 + half, x2 = x1 + half, x3 = x2 + half;
        long b0 = r * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        int bound = I.loopBound(half);
        int j = 0;
        for (; j < bound; j += L) {
            long off = (long) j * 4;
            FloatVector e0 = FloatVector.fromArray(F, xe, x0 + j), d0 = FloatVector.fromArray(F, xd, x0 + j);
            FloatVector e1 = FloatVector.fromArray(F, xe, x1 + j), d1 = FloatVector.fromArray(F, xd, x1 + j);
            FloatVector e2 = FloatVector.fromArray(F, xe, x2 + j), d2 = FloatVector.fromArray(F, xd, x2 + j);
            FloatVector e3 = FloatVector.fromArray(F, xe, x3 + j), d3 = FloatVector.fromArray(F, xd, x3 + j);
            IntVector p = IntVector.fromMemorySegment(I, m, b0 + off, LE);
            FloatVector lo = low(p, f16), hi = high(p, f16);
            c00 = lo.fma(e0, hi.fma(d0, c00));
            c10 = lo.fma(e1, hi.fma(d1, c10));
            c20 = lo.fma(e2, hi.fma(d2, c20));
            c30 = lo.fma(e3, hi.fma(d3, c30));
            p = IntVector.fromMemorySegment(I, m, b1 + off, LE);
            lo = low(p, f16);
            hi = high(p, f16);
            c01 = lo.fma(e0, hi.fma(d0, c01));
            c11 = lo.fma(e1, hi.fma(d1, c11));
            c21 = lo.fma(e2, hi.fma(d2, c21));
            c31 = lo.fma(e3, hi.fma(d3, c31));
            p = IntVector.fromMemorySegment(I, m, b2 + off, LE);
            lo = low(p, f16);
            hi = high(p, f16);
            c02 = lo.fma(e0, hi.fma(d0, c02));
            c12 = lo.fma(e1, hi.fma(d1, c12));
            c22 = lo.fma(e2, hi.fma(d2, c22));
            c32 = lo.fma(e3, hi.fma(d3, c32));
            p = IntVector.fromMemorySegment(I, m, b3 + off, LE);
            lo = low(p, f16);
            hi = high(p, f16);
            c03 = lo.fma(e0, hi.fma(d0, c03));
            c13 = lo.fma(e1, hi.fma(d1, c13));
            c23 = lo.fma(e2, hi.fma(d2, c23));
            c33 = lo.fma(e3, hi.fma(d3, c33));
        }
        FloatVector[] acc = {c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33};
        finishTile(w, x, i, r, out, outOffset, stride, acc, 2 * j);
    }

    /** Reduces the 16 accumulators (activation row a, weight row q at a*4+q) and adds the scalar tail. */
    private static void finishTile(Matrix w, Rows x, int i, int r, float[] out, int outOffset, int stride,
                                   FloatVector[] acc, int tailFrom) {
        int k = w.cols();
        float[] xs = x.plain();
        for (int a = 0; a < 4; a++) {
            for (int q = 0; q < 4; q++) {
                float s = acc[a * 4 + q].reduceLanes(VectorOperators.ADD);
                for (int e = tailFrom; e < k; e++) {
                    s += Weights.at(w, r + q, e) * xs[(i + a) * k + e];
                }
                out[outOffset + (i + a) * stride + r + q] = s;
            }
        }
    }

    // ---- scalar fallback for leftover rows ----

    private static float dot(Matrix w, int r, Rows x, int i) {
        int k = w.cols();
        float[] xs = x.plain();
        float s = 0f;
        for (int e = 0; e < k; e++) {
            s += Weights.at(w, r, e) * xs[i * k + e];
        }
        return s;
    }

    // ---- 16-bit widening: element 2j sits in the low half of 32-bit lane j, 2j+1 in the high half ----

    private static FloatVector low(IntVector p, boolean f16) {
        return f16 ? halfToFloat(p.and(0xFFFF)) : p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector high(IntVector p, boolean f16) {
        return f16 ? halfToFloat(p.lanewise(VectorOperators.LSHR, 16)) : p.and(HIGH_HALF).reinterpretAsFloats();
    }

    /**
     * IEEE half to float for 16-bit values in the low half of each lane: shifting exponent and mantissa
     * into float position and scaling by 2^112 re-biases normals and subnormals exactly; inf and NaN
     * (exponent all ones) get the float exponent all ones instead.
     */
    private static FloatVector halfToFloat(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector em = h.and(0x7FFF);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7C00);
        IntVector bits = finite.blend(shifted.or(0x7F800000), special);
        return bits.or(sign).reinterpretAsFloats();
    }
}
