package dev.conclave.training.nn;

import dev.conclave.training.Param;

/** Token embedding (training spec §5.8): {@code x_t = E[token_t]}; backward scatter-adds into the used rows. */
public final class Embedding {

    private final Param table;
    private final int hidden;
    private final int vocab;

    public Embedding(Param table) {
        this.table = table;
        this.vocab = table.rows();
        this.hidden = table.cols();
    }

    public Param table() { return table; }

    public void forward(int[] tokens, int n, double[] x) {
        double[] e = table.value();
        for (int t = 0; t < n; t++) {
            int id = tokens[t];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " at row " + t + " outside the vocabulary of " + vocab);
            }
            System.arraycopy(e, id * hidden, x, t * hidden, hidden);
        }
    }

    /** {@code dE[v] += Σ_{t: token_t = v} dx_t}. */
    public void backward(int[] tokens, int n, double[] dx) {
        double[] g = table.grad();
        for (int t = 0; t < n; t++) {
            Gemm.axpy(1, dx, t * hidden, g, tokens[t] * hidden, hidden);
        }
    }
}
