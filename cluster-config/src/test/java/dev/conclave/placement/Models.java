package dev.conclave.placement;

import dev.conclave.core.config.ConfigLoader;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.core.testing.TestConfigs;

import java.util.List;

/** The model configs placements are checked against: the golden fixtures and the real GLM-4.5 shapes. */
final class Models {

    private Models() {
    }

    static List<ModelConfig> fixtures() {
        return List.of(Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D).stream()
                .map(name -> ConfigLoader.load(Fixtures.fixture(name).resolve("config.json"))).toList();
    }

    /** GLM-4.5's layer and expert counts (spec §1.1): 92 layers, the first 3 dense, 160 experts, one MTP layer. */
    static ModelConfig glm45() {
        return TestConfigs.tiny("num_hidden_layers", 92, "first_k_dense_replace", 3, "n_routed_experts", 160,
                "num_experts_per_tok", 8, "num_nextn_predict_layers", 1);
    }

    /** GLM-4.5-Air's: 46 layers, the first dense, 128 experts, one MTP layer. */
    static ModelConfig glm45Air() {
        return TestConfigs.tiny("num_hidden_layers", 46, "first_k_dense_replace", 1, "n_routed_experts", 128,
                "num_experts_per_tok", 8, "num_nextn_predict_layers", 1);
    }

    /** 4 layers, the first 2 dense, 6 experts, no MTP layer: small enough to reason about in a test. */
    static ModelConfig small() {
        return TestConfigs.tiny("num_hidden_layers", 4, "first_k_dense_replace", 2, "n_routed_experts", 6);
    }

    /** {@link #small()} with an MTP layer at index 4. */
    static ModelConfig smallWithMtp() {
        return TestConfigs.tiny("num_hidden_layers", 4, "first_k_dense_replace", 2, "n_routed_experts", 6,
                "num_nextn_predict_layers", 1);
    }
}
