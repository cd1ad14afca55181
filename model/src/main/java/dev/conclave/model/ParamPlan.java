package dev.conclave.model;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;

import java.util.List;

/**
 * The parameter counts of spec §9 for a config: per component, the aggregates the published model sizes
 * are quoted by, and the bytes they take. Counts follow the checkpoint tensors of spec §6 exactly; bytes
 * count every {@code e_score_correction_bias} as float32, as checkpoints store it, and the rest in the
 * chosen dtype.
 */
public final class ParamPlan {

    /** One quantity: a stable key (the JSON name), a label, its parameters and how many of them are float32. */
    public record Row(String key, String label, long params, long f32Params) {
        public long bytes(DType dtype) {
            return ParamPlan.bytes(params, f32Params, dtype);
        }
    }

    private final ModelConfig c;

    private ParamPlan(ModelConfig config) {
        this.c = config;
    }

    public static ParamPlan of(ModelConfig config) {
        if (config.tieWordEmbeddings()) {
            throw new IllegalArgumentException("tie_word_embeddings is true; GLM-4.5 checkpoints never tie the lm_head");
        }
        return new ParamPlan(config);
    }

    /** A: q/k/v/o projections, q/k/v biases iff attention_bias, the two [head_dim] QK-norms iff use_qk_norm. */
    public long attention() {
        long h = c.hiddenSize();
        long q = c.qWidth();
        long kv = c.kvWidth();
        long params = 2 * h * q + 2 * h * kv;
        if (c.attentionBias()) {
            params += q + 2 * kv;
        }
        if (c.useQkNorm()) {
            params += 2L * c.headDim();
        }
        return params;
    }

    /** A layer's input and post-attention RMSNorm weights. */
    private long layerNorms() {
        return 2L * c.hiddenSize();
    }

    private long swiGlu(long width) {
        return 3L * c.hiddenSize() * width;
    }

    /** The router: gate weight [E, H] and its correction bias [E]; both read for every token. */
    private long router() {
        return (long) c.nRoutedExperts() * c.hiddenSize() + c.nRoutedExperts();
    }

    public long denseLayer() {
        return attention() + layerNorms() + swiGlu(c.intermediateSize());
    }

    public long moeLayer() {
        return moeLayerWith(c.nRoutedExperts());
    }

    /** An MoE layer as one token uses it: the K chosen experts instead of all E. */
    public long moeLayerActive() {
        return moeLayerWith(c.numExpertsPerTok());
    }

    private long moeLayerWith(int experts) {
        return attention() + layerNorms() + experts * swiGlu(c.moeIntermediateSize())
                + swiGlu(c.sharedExpertWidth()) + router();
    }

    /** model.embed_tokens; lm_head has the same shape. */
    public long embedding() {
        return (long) c.vocabSize() * c.hiddenSize();
    }

    /** All MTP layers without their embedding/head copies: enorm, hnorm, eh_proj, shared_head.norm, an MoE block. */
    public long mtpModule() {
        long h = c.hiddenSize();
        return c.numNextnPredictLayers() * (2 * h * h + 3 * h + moeLayer());
    }

    /** The copies of embed_tokens and lm_head that GLM-4.5 stores in each MTP layer. */
    public long mtpCopies() {
        return c.numNextnPredictLayers() * 2 * embedding();
    }

    private int moeLayers() {
        return c.numHiddenLayers() - c.firstKDenseReplace();
    }

    /** The main decoder stack plus the final norm. */
    private long mainLayers() {
        return c.firstKDenseReplace() * denseLayer() + moeLayers() * moeLayer() + c.hiddenSize();
    }

    /** Main model with embedding and lm_head, no MTP: GLM-4.5-Air's headline "106 B". */
    public long mainWithEmbeddings() {
        return mainLayers() + 2 * embedding();
    }

    /** Main model and MTP without embedding and lm_head: GLM-4.5's headline "355 B". */
    public long mainAndMtpWithoutEmbeddings() {
        return mainLayers() + mtpModule();
    }

    public long mainAndMtpWithEmbeddings() {
        return mainAndMtpWithoutEmbeddings() + 2 * embedding();
    }

    /** Every parameter in a GLM-4.5 checkpoint, the MTP copies of embedding and head included. */
    public long total() {
        return mainAndMtpWithEmbeddings() + mtpCopies();
    }

    /** Activated per token by the main-model layers, embedding and lm_head excluded: the "A32B" / "A12B". */
    public long activePerToken() {
        return c.firstKDenseReplace() * denseLayer() + moeLayers() * moeLayerActive();
    }

    /** What a decode step reads: the active layers, the final norm and lm_head (one embedding row is negligible). */
    public long activeWithLmHead() {
        return activePerToken() + c.hiddenSize() + embedding();
    }

    /** Bytes of {@link #total()} stored in {@code dtype}. */
    public long totalBytes(DType dtype) {
        return bytes(total(), correctionBiases(moeLayers() + c.numNextnPredictLayers()), dtype);
    }

    /** Bytes of {@link #activeWithLmHead()} in {@code dtype}: the weights one decode step streams. */
    public long activeBytesPerToken(DType dtype) {
        return bytes(activeWithLmHead(), correctionBiases(moeLayers()), dtype);
    }

    /** The quantities of the spec §9 table, in its order. */
    public List<Row> rows() {
        int mtp = c.numNextnPredictLayers();
        int main = moeLayers();
        return List.of(
                new Row("attention_per_layer", "attention per layer (A)", attention(), 0),
                new Row("dense_layer", "dense layer", denseLayer(), 0),
                new Row("moe_layer_total", "MoE layer (total)", moeLayer(), correctionBiases(1)),
                new Row("moe_layer_active", "MoE layer (activated)", moeLayerActive(), correctionBiases(1)),
                new Row("embedding", "embedding", embedding(), 0),
                new Row("lm_head", "lm_head", embedding(), 0),
                new Row("mtp_module", "MTP module (no copies)", mtpModule(), correctionBiases(mtp)),
                new Row("mtp_module_with_copies", "MTP module (with emb/head copies)", mtpModule() + mtpCopies(),
                        correctionBiases(mtp)),
                new Row("main_with_embeddings", "main model incl. emb + head, no MTP", mainWithEmbeddings(),
                        correctionBiases(main)),
                new Row("main_and_mtp_without_embeddings", "main + MTP, excl. emb + head", mainAndMtpWithoutEmbeddings(),
                        correctionBiases(main + mtp)),
                new Row("main_and_mtp_with_embeddings", "main + MTP, incl. emb + head", mainAndMtpWithEmbeddings(),
                        correctionBiases(main + mtp)),
                new Row("total_params", "everything in the checkpoint", total(), correctionBiases(main + mtp)),
                new Row("active_params", "activated per token (layers only)", activePerToken(), correctionBiases(main)),
                new Row("active_with_lm_head", "activated incl. lm_head", activeWithLmHead(), correctionBiases(main)));
    }

    /** The e_score_correction_bias parameters of {@code moeBlocks} MoE blocks, which stay float32. */
    private long correctionBiases(int moeBlocks) {
        return (long) moeBlocks * c.nRoutedExperts();
    }

    private static long bytes(long params, long f32Params, DType dtype) {
        return (params - f32Params) * dtype.bytes() + f32Params * DType.F32.bytes();
    }
}
