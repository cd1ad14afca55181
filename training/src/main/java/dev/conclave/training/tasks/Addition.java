package dev.conclave.training.tasks;

import java.util.SplittableRandom;

/**
 * Multi-digit addition, {@code "045+067="}: operands zero-padded to {@code digits}, the sum zero-padded to
 * digits + 1 and by default written least-significant digit first ({@code "211"} for 112), which makes
 * every carry local to the digit being written, so a tiny model can learn it (training spec §6.3 A). An
 * optional thinking trace works the columns from the units up and shows each carry.
 *
 * <p>With {@code carryDropProbability} p > 0 the teacher is flawed as in spec §6.3 A: when the units digits
 * carry, it forgets that carry (answer − 10) with probability p. For uniform digits the units carry in 45 % of
 * problems, so the teacher is right on 1 − 0.45·p of them (0.73 for p = 0.6); its trace shows the same slip.
 */
public final class Addition implements SyntheticTask {
    private final int digits;
    private final double carryDropProbability;
    private final boolean thinking;
    private final boolean reversed;

    public Addition(int digits, double carryDropProbability, boolean thinking, boolean reversed) {
        if (digits < 1 || digits > 17) {
            throw new IllegalArgumentException("addition: digits must be in 1..17, got " + digits);
        }
        if (!(carryDropProbability >= 0 && carryDropProbability <= 1)) {
            throw new IllegalArgumentException("addition: carry drop probability must be in [0, 1], got "
                    + carryDropProbability);
        }
        this.digits = digits;
        this.carryDropProbability = carryDropProbability;
        this.thinking = thinking;
        this.reversed = reversed;
    }

    /** Correct teacher, reversed answers, no thinking: the SFT-from-scratch task. */
    public static Addition correct(int digits) {
        return new Addition(digits, 0, false, true);
    }

    /** Spec §6.3 A: two-digit operands, the teacher drops the units carry 60 % of the time. */
    public static Addition carryBug() {
        return new Addition(2, 0.6, false, true);
    }

    @Override
    public String name() {
        return carryDropProbability > 0 ? "carry-bug-addition" : "addition";
    }

    @Override
    public String verifier() {
        return "exact_match";
    }

    @Override
    public Problem sample(SplittableRandom random) {
        long limit = pow10(digits);
        long a = random.nextLong(limit);
        long b = random.nextLong(limit);
        boolean unitsCarry = a % 10 + b % 10 >= 10;
        boolean drop = unitsCarry && carryDropProbability > 0 && random.nextDouble() < carryDropProbability;
        String question = pad(a, digits) + "+" + pad(b, digits) + "=";
        String reasoning = thinking ? trace(a, b, drop) : null;
        return new Problem(Messages.user(question), null,
                Messages.array(Messages.assistant(reasoning, written(a + b - (drop ? 10 : 0)))), written(a + b));
    }

    /** The sum as the answer writes it. */
    String written(long sum) {
        String padded = pad(sum, digits + 1);
        return reversed ? new StringBuilder(padded).reverse().toString() : padded;
    }

    /** Column by column from the units: "5+7=12 carry 1; 4+6+1=11 carry 1; result 112". */
    String trace(long a, long b, boolean dropUnitsCarry) {
        StringBuilder sb = new StringBuilder();
        long carry = 0;
        long sum = 0;
        for (int i = 0; i < digits; i++) {
            long x = a / pow10(i) % 10;
            long y = b / pow10(i) % 10;
            long column = x + y + carry;
            sb.append(x).append('+').append(y).append(carry > 0 ? "+" + carry : "").append('=').append(column);
            carry = column / 10;
            if (i == 0 && dropUnitsCarry) {
                carry = 0;
            }
            sb.append(" carry ").append(carry).append("; ");
            sum += column % 10 * pow10(i);
        }
        sum += carry * pow10(digits);
        return sb.append("result ").append(pad(sum, digits + 1)).toString();
    }

    private static String pad(long value, int width) {
        String s = Long.toString(value);
        return "0".repeat(Math.max(0, width - s.length())) + s;
    }

    private static long pow10(int n) {
        long p = 1;
        for (int i = 0; i < n; i++) {
            p *= 10;
        }
        return p;
    }
}
