package dev.conclave.model;

import dev.conclave.core.kernels.Weights;
import dev.conclave.core.tensor.Matrix;

/** Token embedding lookup: row {@code id} of {@code embed_tokens} widened to float32 (no scaling). */
public record Embedding(Matrix table) {

    public static Embedding load(StageFactory f) {
        var c = f.config();
        return new Embedding(f.matrix("model.embed_tokens.weight").requireShape(c.vocabSize(), c.hiddenSize()));
    }

    /** Rows [tokens.length, hidden] of {@code out} get the tokens' embeddings. */
    public void lookup(int[] tokens, float[] out) {
        int h = table.cols();
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= table.rows()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + table.rows() + ")");
            }
            for (int i = 0; i < h; i++) {
                out[t * h + i] = Weights.at(table, id, i);
            }
        }
    }
}
