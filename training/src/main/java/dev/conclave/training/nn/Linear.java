package dev.conclave.training.nn;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;

/**
 * {@code y = x·Wᵀ + b} (training spec §5.1) with W in HF layout [out, in] and an optional bias. Backward:
 * {@code dX += dY·W}, {@code dW += dYᵀ·X}, {@code db += Σ_t dY_t}; the caller keeps X alive until then.
 */
public final class Linear {

    private final Param weight;
    private final Param bias;
    private final int in;
    private final int out;

    public Linear(Param weight, Param bias) {
        this.weight = weight;
        this.bias = bias;
        this.out = weight.rows();
        this.in = weight.cols();
        if (bias != null && bias.size() != out) {
            throw new IllegalArgumentException(bias.name() + ": " + bias.size() + " entries for " + out + " outputs");
        }
    }

    /** The layer {@code name} ({@code name.weight} [out, in], and {@code name.bias} if it has one). */
    public static Linear create(ParamSet params, String name, int out, int in, boolean bias) {
        return new Linear(params.create(name + ".weight", Param.Kind.MATRIX, out, in),
                bias ? params.create(name + ".bias", Param.Kind.VECTOR, out) : null);
    }

    public Param weight() { return weight; }

    public void forward(double[] x, int n, double[] y, Parallel p) {
        Gemm.forward(x, weight.value(), bias == null ? null : bias.value(), y, n, in, out, p);
    }

    /** Accumulates the parameter gradients and, when {@code dx} is not null, {@code dx += dy·W}. */
    public void backward(double[] x, double[] dy, int n, double[] dx, Parallel p) {
        Gemm.backward(dy, x, weight.value(), weight.grad(), dx, n, in, out, p);
        if (bias != null) {
            Gemm.backwardBias(dy, bias.grad(), n, out);
        }
    }
}
