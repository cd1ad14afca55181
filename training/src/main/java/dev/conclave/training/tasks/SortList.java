package dev.conclave.training.tasks;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * A small list task in words a person would type: {@code "sort: 42 7 19"} → {@code "7 19 42"}, three to five
 * numbers below 100, scored by the sorted-list verifier (any spacing or commas, the right items in order).
 */
public final class SortList implements SyntheticTask {
    private static final int MIN_ITEMS = 3;
    private static final int MAX_ITEMS = 5;

    @Override
    public String name() {
        return "sort-list";
    }

    @Override
    public String verifier() {
        return "sorted_list";
    }

    @Override
    public Problem sample(SplittableRandom random) {
        int[] items = new int[MIN_ITEMS + random.nextInt(MAX_ITEMS - MIN_ITEMS + 1)];
        for (int i = 0; i < items.length; i++) {
            items[i] = random.nextInt(100);
        }
        String question = "sort: " + join(items);
        int[] sorted = items.clone();
        Arrays.sort(sorted);
        String answer = join(sorted);
        return new Problem(Messages.user(question), null, Messages.array(Messages.assistant(null, answer)), answer);
    }

    private static String join(int[] items) {
        return Arrays.stream(items).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }
}
