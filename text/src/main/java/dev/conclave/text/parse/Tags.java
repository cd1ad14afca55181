package dev.conclave.text.parse;

/**
 * Tag matching for incremental parsers: how much of the end of a buffer must be held back because it could
 * still grow into a tag. Holding exactly that much (and no more) keeps partial tags out of the output without
 * delaying ordinary text.
 */
final class Tags {
    private Tags() {
    }

    /** Length of the longest suffix of {@code text} that is a proper, non-empty prefix of one of {@code tags}. */
    static int heldSuffix(CharSequence text, String... tags) {
        int best = 0;
        for (String tag : tags) {
            int max = Math.min(tag.length() - 1, text.length());
            for (int len = max; len > best; len--) {
                if (regionEquals(text, text.length() - len, tag, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    /** Whether {@code text} from {@code from} to its end is a proper prefix of {@code tag} (possibly empty). */
    static boolean isProperPrefix(CharSequence text, int from, String tag) {
        int len = text.length() - from;
        return len < tag.length() && regionEquals(text, from, tag, len);
    }

    static boolean startsWith(CharSequence text, int from, String tag) {
        return text.length() - from >= tag.length() && regionEquals(text, from, tag, tag.length());
    }

    /** The whitespace the GLM format puts between its tags; the same set is used everywhere for trimming. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r';
    }

    static int skipSpace(CharSequence text, int from) {
        int i = from;
        while (i < text.length() && isSpace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    static String strip(String s) {
        return stripTrailing(s.substring(skipSpace(s, 0)));
    }

    /**
     * Skips what may separate two tags: whitespace, and the two characters backslash-n, which some outputs
     * write for every newline of the format (spec §8.2 step 2).
     */
    static int skipSeparators(CharSequence text, int from) {
        int i = from;
        while (i < text.length()) {
            if (isSpace(text.charAt(i))) {
                i++;
            } else if (text.charAt(i) == '\\' && i + 1 < text.length() && text.charAt(i + 1) == 'n') {
                i += 2;
            } else {
                return i;
            }
        }
        return i;
    }

    static String stripTrailing(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    private static boolean regionEquals(CharSequence text, int from, String tag, int len) {
        for (int i = 0; i < len; i++) {
            if (text.charAt(from + i) != tag.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
