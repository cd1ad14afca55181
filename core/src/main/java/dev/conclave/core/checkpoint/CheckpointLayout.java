package dev.conclave.core.checkpoint;

import dev.conclave.core.config.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import static dev.conclave.core.checkpoint.CheckpointLayout.Presence.MTP;
import static dev.conclave.core.checkpoint.CheckpointLayout.Presence.MTP_OPTIONAL;
import static dev.conclave.core.checkpoint.CheckpointLayout.Presence.REQUIRED;

/**
 * Every tensor name and shape a {@code glm4_moe} checkpoint holds for a given config (spec §6), in a fixed
 * order: embedding, layers {@code 0..L-1}, final norm, lm_head, then the MTP layer at index L. The loader
 * checks checkpoints against it; a checkpoint writer can iterate {@link #entries()} to produce one.
 * Shapes are PyTorch {@code nn.Linear} layout, [out_features, in_features].
 */
public final class CheckpointLayout {

    /** When an entry must be present in a checkpoint. */
    public enum Presence {
        /** Always. */
        REQUIRED,
        /** Part of the MTP layer: required iff the checkpoint holds any MTP tensor, since some exports strip the layer. */
        MTP,
        /** The MTP layer's copies of embed_tokens and lm_head: GLM-4.5 stores them, GLM-4.6 omits them (spec §5.1). */
        MTP_OPTIONAL
    }

    /** One expected tensor. */
    public record Entry(String name, long[] shape, Presence presence) {

        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public boolean isMtp() {
            return presence != REQUIRED;
        }

        // Records compare array components by identity; an entry is its name, shape and presence.
        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && name.equals(e.name) && Arrays.equals(shape, e.shape) && presence == e.presence;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(shape), presence);
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + (presence == REQUIRED ? "" : " " + presence);
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;

    private CheckpointLayout(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        this.byName = new HashMap<>();
        for (Entry e : entries) {
            byName.put(e.name(), e);
        }
    }

    public static CheckpointLayout of(ModelConfig config) {
        List<Entry> out = new ArrayList<>();
        long vocab = config.vocabSize();
        long hidden = config.hiddenSize();
        add(out, "model.embed_tokens.weight", REQUIRED, vocab, hidden);
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            decoderLayer(out, config, layer, config.isMoeLayer(layer), REQUIRED);
        }
        add(out, "model.norm.weight", REQUIRED, hidden);
        add(out, "lm_head.weight", REQUIRED, vocab, hidden);
        if (config.hasMtp()) {
            String p = layerPrefix(config.mtpLayerIndex());
            add(out, p + "enorm.weight", MTP, hidden);
            add(out, p + "hnorm.weight", MTP, hidden);
            add(out, p + "eh_proj.weight", MTP, hidden, 2 * hidden);
            decoderLayer(out, config, config.mtpLayerIndex(), true, MTP);
            add(out, p + "shared_head.norm.weight", MTP, hidden);
            add(out, p + "embed_tokens.weight", MTP_OPTIONAL, vocab, hidden);
            add(out, p + "shared_head.head.weight", MTP_OPTIONAL, vocab, hidden);
        }
        return new CheckpointLayout(out);
    }

    /** All expected tensors in layout order, the MTP layer's last. */
    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public static String layerPrefix(int layer) {
        return "model.layers." + layer + ".";
    }

    private static void decoderLayer(List<Entry> out, ModelConfig c, int layer, boolean moe, Presence presence) {
        String p = layerPrefix(layer);
        long hidden = c.hiddenSize();
        add(out, p + "input_layernorm.weight", presence, hidden);
        attentionProjection(out, c, p + "self_attn.q_proj.", c.qWidth(), presence);
        attentionProjection(out, c, p + "self_attn.k_proj.", c.kvWidth(), presence);
        attentionProjection(out, c, p + "self_attn.v_proj.", c.kvWidth(), presence);
        add(out, p + "self_attn.o_proj.weight", presence, hidden, c.qWidth()); // never biased
        if (c.useQkNorm()) {
            add(out, p + "self_attn.q_norm.weight", presence, c.headDim());
            add(out, p + "self_attn.k_norm.weight", presence, c.headDim());
        }
        add(out, p + "post_attention_layernorm.weight", presence, hidden);
        if (!moe) {
            swiglu(out, p + "mlp.", c.intermediateSize(), hidden, presence);
            return;
        }
        add(out, p + "mlp.gate.weight", presence, c.nRoutedExperts(), hidden);
        add(out, p + "mlp.gate.e_score_correction_bias", presence, c.nRoutedExperts());
        for (int e = 0; e < c.nRoutedExperts(); e++) {
            swiglu(out, p + "mlp.experts." + e + ".", c.moeIntermediateSize(), hidden, presence);
        }
        // n_shared_experts shared experts are stored fused into one MLP of the summed width.
        swiglu(out, p + "mlp.shared_experts.", c.sharedExpertWidth(), hidden, presence);
    }

    private static void attentionProjection(List<Entry> out, ModelConfig c, String prefix, long width, Presence presence) {
        add(out, prefix + "weight", presence, width, c.hiddenSize());
        if (c.attentionBias()) {
            add(out, prefix + "bias", presence, width);
        }
    }

    private static void swiglu(List<Entry> out, String prefix, long width, long hidden, Presence presence) {
        add(out, prefix + "gate_proj.weight", presence, width, hidden);
        add(out, prefix + "up_proj.weight", presence, width, hidden);
        add(out, prefix + "down_proj.weight", presence, hidden, width);
    }

    private static void add(List<Entry> out, String name, Presence presence, long... shape) {
        out.add(new Entry(name, shape, presence));
    }
}
