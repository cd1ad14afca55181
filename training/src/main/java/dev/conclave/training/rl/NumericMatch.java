package dev.conclave.training.rl;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reward 1 iff the last number in the completion's answer is within {@code max(absolute, relative·|ref|)}
 * of the reference number, so "37*24 = 888" and "888" both answer 888.
 */
public final class NumericMatch implements Verifier {
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?");

    private final double absolute;
    private final double relative;

    public NumericMatch(double absolute, double relative) {
        if (!(absolute >= 0) || !(relative >= 0)) {
            throw new IllegalArgumentException("numeric tolerances must be >= 0, got " + absolute + " / " + relative);
        }
        this.absolute = absolute;
        this.relative = relative;
    }

    @Override
    public double score(String completion, String answer) {
        double reference;
        try {
            reference = Double.parseDouble(answer.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("numeric verifier: reference answer '" + answer + "' is not a number");
        }
        Matcher m = NUMBER.matcher(AnswerText.content(completion));
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        if (last == null) {
            return 0;
        }
        double value = Double.parseDouble(last);
        return Math.abs(value - reference) <= Math.max(absolute, relative * Math.abs(reference)) ? 1 : 0;
    }
}
