package dev.conclave.text.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The ways the streaming tests cut an output into deltas: in two at every position, one character at a time,
 * and random cuts (fixed seed, so a failure reproduces). Cuts may fall inside a surrogate pair, as token
 * deltas never do, to prove the parsers do not care.
 */
final class Chunkings {
    private Chunkings() {
    }

    static List<List<String>> of(String text) {
        List<List<String>> all = new ArrayList<>();
        for (int cut = 0; cut <= text.length(); cut++) {
            all.add(List.of(text.substring(0, cut), text.substring(cut)));
        }
        List<String> chars = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            chars.add(text.substring(i, i + 1));
        }
        all.add(chars);
        Random random = new Random(text.hashCode());
        for (int round = 0; round < 20; round++) {
            List<String> chunks = new ArrayList<>();
            int at = 0;
            while (at < text.length()) {
                int len = Math.min(text.length() - at, 1 + random.nextInt(8));
                chunks.add(text.substring(at, at + len));
                at += len;
            }
            all.add(chunks);
        }
        return all;
    }
}
