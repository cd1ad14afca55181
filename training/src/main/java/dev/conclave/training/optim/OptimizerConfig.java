package dev.conclave.training.optim;

/**
 * Which optimizer gets which params and with what settings (training spec §3): with {@code useMuon} every
 * {@code MATRIX} param goes to Muon (the routers {@code mlp.gate.weight} only when {@code muonForRouter}, the
 * report's rule; the head too when {@code muonForHead}, which Moonlight and the spec keep on AdamW), everything
 * else to AdamW; without it AdamW takes all. Gradients are clipped to a global norm of {@code maxGradNorm} first.
 */
public record OptimizerConfig(boolean useMuon, boolean muonForHead, boolean muonForRouter, Muon.Settings muon,
                              AdamW.Settings adamw, double maxGradNorm, LrSchedule schedule) {

    public OptimizerConfig {
        if (!(maxGradNorm > 0)) {
            throw new IllegalArgumentException("maxGradNorm must be > 0, got " + maxGradNorm);
        }
    }

    /** Pre-/mid-training as GLM-4.5: Muon for hidden matrices, AdamW (0.9, 0.95) for the rest, clip 1.0. */
    public static OptimizerConfig pretraining(LrSchedule schedule) {
        return new OptimizerConfig(true, false, true, Muon.Settings.glm45(), AdamW.Settings.pretraining(), 1.0, schedule);
    }

    /** SFT (spec §3.3): AdamW (0.9, 0.95), λ = 0.1 for all params, clip 1.0. */
    public static OptimizerConfig sft(LrSchedule schedule) {
        return new OptimizerConfig(false, false, true, Muon.Settings.glm45(), AdamW.Settings.pretraining(), 1.0, schedule);
    }

    /** RL as slime's GLM scripts: AdamW (0.9, 0.98), λ = 0.1 for all params, constant LR 1e-6, clip 1.0. */
    public static OptimizerConfig rl() {
        return new OptimizerConfig(false, false, true, Muon.Settings.glm45(), AdamW.Settings.rl(), 1.0, LrSchedule.constant(1e-6));
    }
}
