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
}
