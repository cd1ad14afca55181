package dev.conclave.training.rl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reward 1 iff the completion's answer is a list in ascending order holding exactly the reference's items
 * (the reference may be in any order). Items are separated by commas, semicolons or whitespace, optionally
 * inside one pair of brackets; they compare as numbers when every item is a number, as text otherwise.
 */
public final class SortedList implements Verifier {
    private static final Pattern SEPARATORS = Pattern.compile("[\\s,;]+");

    @Override
    public double score(String completion, String answer) {
        List<String> got = items(AnswerText.content(completion));
        List<String> expected = items(answer);
        if (got.size() != expected.size()) {
            return 0;
        }
        Comparator<String> order = allNumeric(got) && allNumeric(expected)
                ? Comparator.comparingDouble(Double::parseDouble) : Comparator.naturalOrder();
        for (int i = 1; i < got.size(); i++) {
            if (order.compare(got.get(i - 1), got.get(i)) > 0) {
                return 0;
            }
        }
        List<String> sortedExpected = new ArrayList<>(expected);
        sortedExpected.sort(order);
        for (int i = 0; i < got.size(); i++) {
            if (order.compare(got.get(i), sortedExpected.get(i)) != 0) {
                return 0;
            }
        }
        return 1;
    }

    static List<String> items(String text) {
        String body = text.strip();
        if (body.length() >= 2 && body.startsWith("[") && body.endsWith("]")) {
            body = body.substring(1, body.length() - 1).strip();
        }
        List<String> items = new ArrayList<>();
        for (String item : SEPARATORS.split(body)) {
            if (!item.isEmpty()) {
                items.add(item);
            }
        }
        return items;
    }

    private static boolean allNumeric(List<String> items) {
        for (String item : items) {
            try {
                Double.parseDouble(item);
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }
}
