package dev.conclave.text.tokenizer;

import java.util.ArrayList;
import java.util.List;

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

    /** A stretch of the text: {@code [start, end)}, matched by the pattern or not. */
    record Span(int start, int end, boolean match) {
    }

    /** Folds the spans covering {@code text} into the pieces this behavior keeps, appended to {@code out}. */
    void fold(String text, List<Span> spans, List<String> out) {
        List<int[]> kept = new ArrayList<>();
        switch (this) {
            case REMOVED -> {
                for (Span s : spans) {
                    if (!s.match()) {
                        kept.add(new int[] {s.start(), s.end()});
                    }
                }
            }
            case ISOLATED -> {
                for (Span s : spans) {
                    kept.add(new int[] {s.start(), s.end()});
                }
            }
            case MERGED_WITH_PREVIOUS, CONTIGUOUS -> {
                boolean previousMatch = false;
                for (Span s : spans) {
                    boolean merge = this == CONTIGUOUS ? s.match() == previousMatch : s.match() && !previousMatch;
                    if (merge && !kept.isEmpty()) {
                        kept.getLast()[1] = s.end();
                    } else {
                        kept.add(new int[] {s.start(), s.end()});
                    }
                    previousMatch = s.match();
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                for (Span s : spans.reversed()) {
                    if (s.match() && !previousMatch && !kept.isEmpty()) {
                        kept.getFirst()[0] = s.start();
                    } else {
                        kept.addFirst(new int[] {s.start(), s.end()});
                    }
                    previousMatch = s.match();
                }
            }
        }
        for (int[] piece : kept) {
            if (piece[1] > piece[0]) {
                out.add(text.substring(piece[0], piece[1]));
            }
        }
    }
}
