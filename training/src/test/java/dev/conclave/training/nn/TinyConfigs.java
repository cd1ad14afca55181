package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;
import java.util.List;

/** Small glm4_moe configs for gradient checks and speed runs. */
public final class TinyConfigs {

    private TinyConfigs() {
    }

    /** Training spec §5.10's gradient-check model: H 16, 2 heads, 1 KV head, 4 experts top-2, V 32, one dense and one MoE layer, MTP. */
    public static ModelConfig gradCheck() {
        return config(32, 16, 2, 2, 1, 8, 24, 8, 4, 1, 2, 1, 1, true, true, true);
    }

    public static ModelConfig config(int vocab, int hidden, int layers, int heads, int kvHeads, int headDim,
                                     int intermediate, int moeIntermediate, int experts, int shared, int k,
                                     int nGroup, int topkGroup, boolean normTopk, boolean qkNorm, boolean attentionBias) {
        return new ModelConfig("glm4_moe", vocab, hidden, layers, heads, kvHeads, headDim, intermediate,
                moeIntermediate, experts, shared, k, nGroup, topkGroup, 1, normTopk, 2.5, 10_000, 0.5,
                attentionBias, qkNorm, 1e-5, 4096, false, 1, 0, List.of(1), "float32");
    }
}
