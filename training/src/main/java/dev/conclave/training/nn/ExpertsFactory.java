package dev.conclave.training.nn;

import dev.conclave.core.config.ModelConfig;

/**
 * Makes the routed experts of the MoE block of {@code layer} (the MTP layer's index for the MTP block),
 * whose tensors are named {@code prefix + "experts.{e}."}; the experts it keeps in this process create
 * their params in {@code params}.
 */
@FunctionalInterface
public interface ExpertsFactory {

    RoutedExperts create(int layer, ModelConfig c, ParamSet params, String prefix);

    /** Every expert in this process, its params in the model's {@link ParamSet}. */
    ExpertsFactory LOCAL = (layer, c, params, prefix) -> LocalExperts.all(c, params, prefix);
}
