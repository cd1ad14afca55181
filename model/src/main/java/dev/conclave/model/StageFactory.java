package dev.conclave.model;

import dev.conclave.attention.AttentionLayer;
import dev.conclave.attention.Rope;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.Matrix;
import dev.conclave.experts.Combine;
import dev.conclave.experts.ExpertShard;
import dev.conclave.experts.SwiGlu;
import dev.conclave.router.Router;

/**
 * Builds stage objects from checkpoint tensors by their Hugging Face names (spec §6). Each stage is
 * built on its own, so a node that hosts only some layers or experts reads only their bytes.
 */
public final class StageFactory {

    private final Checkpoint checkpoint;
    private final ModelConfig config;

    public StageFactory(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
        this.config = checkpoint.config();
    }

    public ModelConfig config() {
        return config;
    }

    static String layer(int l) {
        return "model.layers." + l + ".";
    }

    Matrix matrix(String name) {
        return Matrix.of(checkpoint.tensor(name));
    }

    float[] vector(String name) {
        return checkpoint.tensor(name).toFloatArray();
    }

    float[] optionalVector(String name) {
        return checkpoint.find(name).map(t -> t.toFloatArray()).orElse(null);
    }

    /** A RoPE table owner for one stage; stages never share one, since each may run on its own thread. */
    public Rope rope() {
        return new Rope(config.rotaryDim(), config.ropeTheta());
    }

    public AttentionLayer attention(int l) {
        String p = layer(l);
        var w = new AttentionLayer.Weights(
                vector(p + "input_layernorm.weight"),
                matrix(p + "self_attn.q_proj.weight"),
                matrix(p + "self_attn.k_proj.weight"),
                matrix(p + "self_attn.v_proj.weight"),
                matrix(p + "self_attn.o_proj.weight"),
                optionalVector(p + "self_attn.q_proj.bias"),
                optionalVector(p + "self_attn.k_proj.bias"),
                optionalVector(p + "self_attn.v_proj.bias"),
                config.useQkNorm() ? vector(p + "self_attn.q_norm.weight") : null,
                config.useQkNorm() ? vector(p + "self_attn.k_norm.weight") : null);
        return new AttentionLayer(config, w, rope());
    }

    public Router router(int l) {
        String p = layer(l);
        return new Router(config, new Router.Weights(
                vector(p + "post_attention_layernorm.weight"),
                matrix(p + "mlp.gate.weight"),
                vector(p + "mlp.gate.e_score_correction_bias")));
    }

    SwiGlu mlp(String prefix) {
        return new SwiGlu(matrix(prefix + "gate_proj.weight"), matrix(prefix + "up_proj.weight"),
                matrix(prefix + "down_proj.weight"));
    }

    public SwiGlu denseMlp(int l) {
        return mlp(layer(l) + "mlp.").requireShape(config.hiddenSize(), config.intermediateSize());
    }

    public SwiGlu sharedExpert(int l) {
        return mlp(layer(l) + "mlp.shared_experts.").requireShape(config.hiddenSize(), config.sharedExpertWidth());
    }

    public SwiGlu expert(int l, int e) {
        return mlp(layer(l) + "mlp.experts." + e + ".").requireShape(config.hiddenSize(), config.moeIntermediateSize());
    }

    /** A shard hosting the routed experts {@code (layer, expert)} that {@code hosted} accepts. */
    public ExpertShard shard(HostedExperts hosted) {
        int layers = config.numHiddenLayers() + (config.hasMtp() ? 1 : 0);
        SwiGlu[][] experts = new SwiGlu[layers][];
        for (int l = 0; l < layers; l++) {
            if (config.isMoeLayer(l)) {
                experts[l] = new SwiGlu[config.nRoutedExperts()];
                for (int e = 0; e < config.nRoutedExperts(); e++) {
                    if (hosted.hosts(l, e)) {
                        experts[l][e] = expert(l, e);
                    }
                }
            }
        }
        return new ExpertShard(experts);
    }

    /** Which routed experts a shard hosts. */
    @FunctionalInterface
    public interface HostedExperts {
        boolean hosts(int layer, int expert);
    }

    /** Layer {@code l}: its attention, and its dense MLP or its router, shared expert and routed experts. */
    public DecoderLayer decoderLayer(int l, RoutedExperts experts) {
        FeedForward ffn;
        if (config.isMoeLayer(l)) {
            Router router = router(l);
            ffn = new FeedForward.Moe(l, router, router.newPlan(), experts, sharedExpert(l),
                    new Combine(config.numExpertsPerTok()));
        } else {
            ffn = new FeedForward.Dense(vector(layer(l) + "post_attention_layernorm.weight"),
                    (float) config.rmsNormEps(), denseMlp(l));
        }
        return new DecoderLayer(l, attention(l), ffn);
    }
}
