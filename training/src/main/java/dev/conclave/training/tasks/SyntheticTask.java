package dev.conclave.training.tasks;

import java.util.SplittableRandom;

/**
 * A generator of verifiable problems with a teacher's demonstrations, for SFT ({@link TaskFiles#writeSft})
 * and RL ({@link TaskFiles#writeRl}). Drawing is a pure function of the random stream, so a seed fixes a file.
 */
public interface SyntheticTask {

    /** The name {@link SyntheticTasks#byName} knows it by; also the prefix of its RL task ids. */
    String name();

    /** The verifier, by its name in {@code dev.conclave.training.rl.Verifiers.standard()}. */
    String verifier();

    Problem sample(SplittableRandom random);
}
