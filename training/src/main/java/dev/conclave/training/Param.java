package dev.conclave.training;

import java.util.Arrays;

/**
 * One trainable tensor under its Hugging Face name: master values and their gradient, row-major.
 *
 * <p>Training keeps both in float64: the same code then passes float64 finite-difference gradient checks
 * (spec §5.10) and trains, so no second, untested precision path exists. Checkpoints convert to BF16 or F32
 * on save and widen on load.
 */
public final class Param {

    /** How the optimizer treats a tensor (training spec §3): Muon for hidden 2-D matrices, AdamW otherwise. */
    public enum Kind { MATRIX, EMBEDDING, HEAD, VECTOR }

    private final String name;
    private final int[] shape;
    private final Kind kind;
    private final double[] value;
    private final double[] grad;

    public Param(String name, Kind kind, int... shape) {
        this.name = name;
        this.kind = kind;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("param " + name + ": bad shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("param " + name + " too large: " + Arrays.toString(shape));
        }
        this.value = new double[(int) n];
        this.grad = new double[(int) n];
    }

    public String name() { return name; }

    public Kind kind() { return kind; }

    public int[] shape() { return shape.clone(); }

    public int rows() { return shape[0]; }

    /** Columns of a matrix; 1 for a vector. */
    public int cols() { return shape.length == 1 ? 1 : shape[1]; }

    public int size() { return value.length; }

    public double[] value() { return value; }

    public double[] grad() { return grad; }

    public void zeroGrad() { Arrays.fill(grad, 0); }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + kind;
    }
}
