package dev.conclave.training.rl;

/**
 * A reward function for one model completion (training spec §1.1 step 3): a pure function of the text the
 * model generated for the assistant turn (thinking included, stop token excluded) and the task's reference
 * answer, returning a reward in [0, 1]. Verifiers are looked up by name in {@link Verifiers}.
 */
@FunctionalInterface
public interface Verifier {

    double score(String completion, String answer);
}
