package dev.conclave.model;

import dev.conclave.core.config.ModelConfig;

import java.util.List;

/** The configs tests share, with their values taken from spec §1 and the project brief. */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** zai-org/GLM-4.5 (355B-A32B), spec §1.1. */
    public static ModelConfig glm45() {
        return new ModelConfig("glm4_moe", 151552, 5120, 92, 96, 8, 128, 12288, 1536, 160, 1, 8, 1, 1, 3,
                true, 2.5, 1_000_000, 0.5, true, true, 1e-5, 131072, false, 1,
                151329, List.of(151329, 151336, 151338), "bfloat16");
    }

    /** zai-org/GLM-4.5-Air (106B-A12B), spec §1.1. */
    public static ModelConfig glm45Air() {
        return new ModelConfig("glm4_moe", 151552, 4096, 46, 96, 8, 128, 10944, 1408, 128, 1, 8, 1, 1, 1,
                true, 1.0, 1_000_000, 0.5, true, false, 1e-5, 131072, false, 1,
                151329, List.of(151329, 151336, 151338), "bfloat16");
    }

    /** The project's bench model, the defaults of {@code conclave random-model}. */
    public static ModelConfig bench() {
        return new ModelConfig("glm4_moe", 32000, 1024, 12, 16, 4, 128, 2816, 384, 64, 1, 8, 1, 1, 1,
                true, 2.5, 1_000_000, 0.5, true, false, 1e-5, 131072, false, 1,
                0, List.of(1), "bfloat16");
    }

    /** A model small enough to write in milliseconds, with every kind of layer and the switches given. */
    public static ModelConfig tiny(boolean attentionBias, boolean useQkNorm, int sharedExperts) {
        return new ModelConfig("glm4_moe", 64, 16, 3, 2, 1, 8, 24, 8, 4, sharedExperts, 2, 1, 1, 1,
                true, 2.5, 10_000, 0.5, attentionBias, useQkNorm, 1e-5, 256, false, 1,
                0, List.of(1), "bfloat16");
    }
}
