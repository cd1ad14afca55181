package dev.conclave.text.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text the way the Rust library's Aho-Corasick matcher does: leftmost-longest, then
 * applying {@code single_word} (drop a match inside a word), {@code lstrip}/{@code rstrip} (the token swallows the
 * whitespace beside it). A trie keyed by char keeps the scan linear in the text for hundreds of tokens.
 */
final class AddedTokenMatcher {

    /** A match: text[start, end) is the token (including any whitespace it strips). */
    record Match(int start, int end, AddedToken token) {
    }

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>();
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean empty;

    AddedTokenMatcher(List<AddedToken> tokens) {
        for (AddedToken token : tokens) {
            Node node = root;
            for (int i = 0; i < token.content().length(); i++) {
                node = node.children.computeIfAbsent(token.content().charAt(i), c -> new Node());
            }
            node.token = token;
        }
        this.empty = tokens.isEmpty();
    }

    /** All non-overlapping matches in {@code text}, in order. */
    List<Match> find(String text) {
        List<Match> matches = new ArrayList<>();
        if (empty) {
            return matches;
        }
        int from = 0;
        int pos = 0;
        while (pos < text.length()) {
            AddedToken longest = null;
            int longestEnd = -1;
            Node node = root;
            for (int i = pos; i < text.length(); i++) {
                node = node.children.get(text.charAt(i));
                if (node == null) {
                    break;
                }
                if (node.token != null) {
                    longest = node.token;
                    longestEnd = i + 1;
                }
            }
            if (longest == null || (longest.singleWord() && !standsAlone(text, pos, longestEnd))) {
                pos++;
                continue;
            }
            int start = pos;
            int end = longestEnd;
            if (longest.lstrip()) {
                while (start > from && Character.isWhitespace(text.charAt(start - 1))) {
                    start--;
                }
            }
            if (longest.rstrip()) {
                while (end < text.length() && Character.isWhitespace(text.charAt(end))) {
                    end++;
                }
            }
            matches.add(new Match(start, end, longest));
            from = end;
            pos = end;
        }
        return matches;
    }

    /** True unless a word character touches the match on either side. */
    private static boolean standsAlone(String text, int start, int end) {
        boolean wordBefore = start > 0 && isWordChar(text.codePointBefore(start));
        boolean wordAfter = end < text.length() && isWordChar(text.codePointAt(end));
        return !wordBefore && !wordAfter;
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }
}
