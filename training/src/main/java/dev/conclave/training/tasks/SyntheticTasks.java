package dev.conclave.training.tasks;

import java.util.List;

/** The synthetic tasks by name, in their default configurations. */
public final class SyntheticTasks {
    public static final List<String> NAMES =
            List.of("addition", "addition-forward", "carry-bug-addition", "sort6", "sort-list", "calculator");

    private SyntheticTasks() {
    }

    /**
     * {@code addition} (3-digit, correct teacher), {@code carry-bug-addition} (spec §6.3 A), {@code sort6},
     * {@code sort-list}, {@code calculator}; {@code thinking} adds the teachers' reasoning traces where a task
     * has one (addition and calculator).
     */
    public static SyntheticTask byName(String name, boolean thinking) {
        return switch (name) {
            case "addition" -> new Addition(3, 0, thinking, true);
            case "addition-forward" -> new Addition(3, 0, thinking, false);
            case "carry-bug-addition" -> new Addition(2, 0.6, thinking, true);
            case "sort6" -> new SortDigits(6);
            case "sort-list" -> new SortList();
            case "calculator" -> new CalculatorCall(thinking);
            default -> throw new IllegalArgumentException("unknown task '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }
}
