package dev.conclave.training.rl;

/** Reward 1 iff the completion's answer equals the reference after normalisation ({@link AnswerText}). */
public final class ExactMatch implements Verifier {

    @Override
    public double score(String completion, String answer) {
        return AnswerText.normalise(AnswerText.content(completion)).equals(AnswerText.normalise(answer)) ? 1 : 0;
    }
}
