package dev.conclave.core.config;

import java.util.List;

/**
 * The {@code glm4_moe} hyper-parameters of a checkpoint's {@code config.json} (spec §1), with the
 * quantities derived from them (spec §1.2). Field names follow the Hugging Face keys.
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int intermediateSize,
        int moeIntermediateSize,
        int nRoutedExperts,
        int nSharedExperts,
        int numExpertsPerTok,
        int nGroup,
        int topkGroup,
        int firstKDenseReplace,
        boolean normTopkProb,
        double routedScalingFactor,
        double ropeTheta,
        double partialRotaryFactor,
        boolean attentionBias,
        boolean useQkNorm,
        double rmsNormEps,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        int numNextnPredictLayers,
        Integer padTokenId,
        List<Integer> eosTokenIds,
        String torchDtype) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** R = int(D · partial_rotary_factor): the leading dims of each head that RoPE rotates. */
    public int rotaryDim() {
        return (int) (headDim * partialRotaryFactor);
    }

    public int qWidth() {
        return numAttentionHeads * headDim;
    }

    public int kvWidth() {
        return numKeyValueHeads * headDim;
    }

    /** Query heads per KV head (GQA group size). */
    public int gqaGroupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Layers {@code 0..first_k_dense_replace-1} use the dense MLP; the rest and the MTP layer are MoE. */
    public boolean isMoeLayer(int layer) {
        return layer >= firstKDenseReplace;
    }

    public int sharedExpertWidth() {
        return moeIntermediateSize * nSharedExperts;
    }

    /** The MTP (NextN) layer is stored at index {@code num_hidden_layers}. */
    public int mtpLayerIndex() {
        return numHiddenLayers;
    }

    public boolean hasMtp() {
        return numNextnPredictLayers > 0;
    }
}
