package dev.conclave.dispatch;

/**
 * What an expert server runs on the rows of one DISPATCH message: every block at once, so that an
 * implementation can run all of them as one parallel region. Row r of {@code out} must be the output
 * of row r of {@code in} under the expert of r's block. Throwing fails that message only: the
 * dispatcher gets a FAILURE naming this node and the blocks' experts, and the server keeps serving.
 */
@FunctionalInterface
public interface ExpertCompute {

    /**
     * @param in  {@code blocks.totalRows()} rows of {@code hidden} floats (the array may be longer)
     * @param out the same shape, to fill
     */
    void compute(int layer, ExpertBlocks blocks, float[] in, float[] out, int hidden);

    /**
     * The backward of the last {@link #compute} of these blocks (a training step): row r of {@code dOut} is
     * the gradient of row r's output, row r of {@code dIn} must become the gradient of its input, and the
     * experts keep their parameter gradients. Inference experts keep no activations, so they refuse.
     */
    default void backward(int layer, ExpertBlocks blocks, float[] dOut, float[] dIn, int hidden) {
        throw new UnsupportedOperationException("layer " + layer + ": this expert group serves inference only and has no backward");
    }
}
