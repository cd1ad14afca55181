package dev.conclave.training.nn;

import dev.conclave.core.parallel.Parallel;

import java.util.Arrays;

/**
 * The SwiGLU MLP of dense layers, experts and shared experts (training spec §5.3):
 * {@code a = xW_gᵀ, u = xW_uᵀ, h = silu(a) ⊙ u, y = hW_dᵀ}, no biases. The forward keeps a, u, σ(a) and h;
 * x must stay unchanged until {@link #backward}.
 */
public final class SwiGlu {

    private final Linear gate;
    private final Linear up;
    private final Linear down;
    private final int width;
    private double[] x;
    private int n;
    private double[] a = new double[0];
    private double[] u = new double[0];
    private double[] h = new double[0];
    private double[] sigma = new double[0];
    private double[] dh = new double[0];

    /** gate_proj, up_proj and down_proj of the HF names {@code prefix + "gate_proj"} etc. */
    public SwiGlu(ParamSet params, String prefix, int hidden, int width) {
        this.width = width;
        this.gate = Linear.create(params, prefix + "gate_proj", width, hidden, false);
        this.up = Linear.create(params, prefix + "up_proj", width, hidden, false);
        this.down = Linear.create(params, prefix + "down_proj", hidden, width, false);
    }

    public void forward(double[] x, int n, double[] y, Parallel p) {
        this.x = x;
        this.n = n;
        if (a.length < n * width) {
            int size = Math.max(n * width, 2 * a.length);
            a = new double[size];
            u = new double[size];
            h = new double[size];
            sigma = new double[size];
            dh = new double[size];
        }
        gate.forward(x, n, a, p);
        up.forward(x, n, u, p);
        for (int i = 0; i < n * width; i++) {
            double sg = 1.0 / (1.0 + Math.exp(-a[i]));
            sigma[i] = sg;
            h[i] = a[i] * sg * u[i];
        }
        down.forward(h, n, y, p);
    }

    /**
     * {@code dh = dy W_d; du = dh ⊙ silu(a); da = dh ⊙ u ⊙ silu'(a)}; {@code dx += da W_g + du W_u}. The
     * buffers of a and u are reused for da and du, so a second backward needs a second forward.
     */
    public void backward(double[] dy, double[] dx, Parallel p) {
        int len = n * width;
        Arrays.fill(dh, 0, len, 0);
        down.backward(h, dy, n, dh, p);
        for (int i = 0; i < len; i++) {
            double ai = a[i];
            double s = sigma[i];
            double du = dh[i] * ai * s;
            a[i] = dh[i] * u[i] * s * (1 + ai * (1 - s));
            u[i] = du;
        }
        gate.backward(x, a, n, dx, p);
        up.backward(x, u, n, dx, p);
    }
}
