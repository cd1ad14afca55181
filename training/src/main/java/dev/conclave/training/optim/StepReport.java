package dev.conclave.training.optim;

/**
 * What one {@link Optimizer#step()} did: the step number it took (or would have taken), its LR, the global
 * gradient norm before clipping, and, when the step was skipped, the first param with a NaN/Inf gradient.
 */
public record StepReport(long step, double lr, double gradNorm, String nonFiniteParam) {

    public boolean skipped() {
        return nonFiniteParam != null;
    }

    @Override
    public String toString() {
        return skipped()
                ? "step " + step + " skipped: non-finite gradient in " + nonFiniteParam
                : "step %d lr %.3e grad-norm %.4f".formatted(step, lr, gradNorm);
    }
}
