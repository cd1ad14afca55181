package dev.conclave.text.tokenizer;

/**
 * What a {@code Split} pre-tokenizer does with the text its pattern matches, with the exact folding rules of the
 * Rust {@code SplitDelimiterBehavior}: only a match that follows a non-match merges, so runs of matches stay apart.
 */
enum SplitBehavior {
    REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

    static SplitBehavior fromJson(String name) {
        return switch (name) {
            case "Removed" -> REMOVED;
            case "Isolated" -> ISOLATED;
            case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> MERGED_WITH_NEXT;
            case "Contiguous" -> CONTIGUOUS;
            default -> null;
        };
    }

    /**
     * Folds the covering spans {@code starts[i]..ends[i]} (flagged by {@code isMatch[i]}) into the pieces kept,
     * appended to {@code out} as substrings of {@code text}.
     */
    void fold(String text, int[] starts, int[] ends, boolean[] isMatch, int count, java.util.List<String> out) {
        java.util.List<int[]> spans = new java.util.ArrayList<>();
        switch (this) {
            case REMOVED -> {
                for (int i = 0; i < count; i++) {
                    if (!isMatch[i]) {
                        spans.add(new int[] {starts[i], ends[i]});
                    }
                }
            }
            case ISOLATED -> {
                for (int i = 0; i < count; i++) {
                    spans.add(new int[] {starts[i], ends[i]});
                }
            }
            case MERGED_WITH_PREVIOUS, CONTIGUOUS -> {
                boolean previousMatch = false;
                for (int i = 0; i < count; i++) {
                    boolean merge = this == CONTIGUOUS ? isMatch[i] == previousMatch : isMatch[i] && !previousMatch;
                    if (merge && !spans.isEmpty()) {
                        spans.getLast()[1] = ends[i];
                    } else {
                        spans.add(new int[] {starts[i], ends[i]});
                    }
                    previousMatch = isMatch[i];
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                for (int i = count - 1; i >= 0; i--) {
                    if (isMatch[i] && !previousMatch && !spans.isEmpty()) {
                        spans.getFirst()[0] = starts[i];
                    } else {
                        spans.addFirst(new int[] {starts[i], ends[i]});
                    }
                    previousMatch = isMatch[i];
                }
            }
        }
        for (int[] span : spans) {
            if (span[1] > span[0]) {
                out.add(text.substring(span[0], span[1]));
            }
        }
    }
}
