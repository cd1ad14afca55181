package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;

/** The layer and expert indices a model has, as placements count them (the MTP layer at {@code num_hidden_layers}). */
public final class ModelLayers {

    private ModelLayers() {
    }

    /** Every layer with attention: {@code 0..num_hidden_layers-1}, and the MTP layer when the model has one. */
    public static IntSet all(ModelConfig model) {
        return IntSet.range(0, model.numHiddenLayers() + (model.hasMtp() ? 1 : 0));
    }

    /** Every layer with routed experts: {@code first_k_dense_replace..num_hidden_layers-1}, and the MTP layer. */
    public static IntSet moe(ModelConfig model) {
        return all(model).minus(IntSet.range(0, model.firstKDenseReplace()));
    }

    /** The routed expert ids of every MoE layer: {@code 0..n_routed_experts-1}. */
    public static IntSet experts(ModelConfig model) {
        return IntSet.range(0, model.nRoutedExperts());
    }

    /** A layer as messages show it: its index, or {@code mtp (92)} for the MTP layer. */
    public static String name(ModelConfig model, int layer) {
        return model.hasMtp() && layer == model.mtpLayerIndex() ? LayerSet.MTP + " (" + layer + ")" : Integer.toString(layer);
    }

    /** Layers as messages show them: {@code 3-5,mtp (92)}. */
    public static String names(ModelConfig model, IntSet layers) {
        int mtp = model.mtpLayerIndex();
        if (!model.hasMtp() || !layers.contains(mtp)) {
            return layers.toString();
        }
        IntSet numbered = layers.minus(IntSet.of(mtp));
        return (numbered.isEmpty() ? "" : numbered + ",") + name(model, mtp);
    }
}
