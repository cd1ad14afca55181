package dev.conclave.experts;

import dev.conclave.core.tensor.Matrix;

/**
 * One SwiGLU MLP without biases, {@code f(x) = W_down · (SiLU(W_gate x) ⊙ (W_up x))} (spec §4.1): a routed
 * expert, the shared expert(s) fused into one MLP, or a dense layer's MLP.
 */
public record SwiGlu(Matrix gateProj, Matrix upProj, Matrix downProj) {

    public SwiGlu {
        int width = gateProj.rows();
        int hidden = gateProj.cols();
        upProj.requireShape(width, hidden);
        downProj.requireShape(hidden, width);
    }

    /** Inner width I. */
    public int width() {
        return gateProj.rows();
    }

    public int hidden() {
        return gateProj.cols();
    }

    public SwiGlu requireShape(int hidden, int width) {
        gateProj.requireShape(width, hidden);
        return this;
    }
}
