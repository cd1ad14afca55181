package dev.conclave.training.tasks;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Sort-6 (training spec §6.3 B): {@code "352619>"} → {@code "123569"}, the fast RL smoke test. */
public final class SortDigits implements SyntheticTask {
    private final int length;

    public SortDigits(int length) {
        if (length < 1) {
            throw new IllegalArgumentException("sort digits: length must be >= 1, got " + length);
        }
        this.length = length;
    }

    @Override
    public String name() {
        return "sort" + length;
    }

    @Override
    public String verifier() {
        return "exact_match";
    }

    @Override
    public Problem sample(SplittableRandom random) {
        char[] digits = new char[length];
        for (int i = 0; i < length; i++) {
            digits[i] = (char) ('0' + random.nextInt(10));
        }
        String question = new String(digits) + ">";
        Arrays.sort(digits);
        String answer = new String(digits);
        return new Problem(Messages.user(question), null, Messages.array(Messages.assistant(null, answer)), answer);
    }
}
