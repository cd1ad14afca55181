/**
 * The model-independent parts of GRPO as GLM-4.5 runs it (training spec §1): verifiers score completions
 * ({@link dev.conclave.training.rl.Verifiers}), {@link dev.conclave.training.rl.GrpoBatch} drops zero-std
 * groups and turns rewards into advantages and step-global loss weights, {@link dev.conclave.training.rl.PolicyLoss}
 * gives each generated token's clipped loss and its logits gradient for the model's backward pass, and
 * {@link dev.conclave.training.rl.Curriculum} and {@link dev.conclave.training.rl.DynamicTemperature} choose
 * the prompts and the sampling temperature between steps.
 */
package dev.conclave.training.rl;
