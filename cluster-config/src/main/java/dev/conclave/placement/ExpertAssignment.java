package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;

/**
 * One entry of a node's {@code experts} list: these experts of each of these layers. In an assignment
 * {@code all} layers means every layer that has routed experts (the MoE layers and the MTP layer), since
 * dense layers have none to host.
 */
public record ExpertAssignment(LayerSet layers, ExpertSet experts) {

    /** The layer indices this assignment covers, ids the model lacks kept for the validator to report. */
    public IntSet resolveLayers(ModelConfig model) {
        return layers.all() ? ModelLayers.moe(model) : layers.resolve(model);
    }

    /** The expert ids this assignment hosts in each of its layers. */
    public IntSet resolveExperts(ModelConfig model) {
        return experts.resolve(model);
    }

    @Override
    public String toString() {
        return "{ layers = \"" + layers + "\", experts = \"" + experts + "\" }";
    }
}
