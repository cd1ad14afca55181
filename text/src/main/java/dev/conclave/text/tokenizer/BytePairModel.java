package dev.conclave.text.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code BPE} model: splits one pre-tokenized word into vocabulary ids by applying merges in rank order.
 * The merge loop is the Rust library's: a priority queue of (rank, position) over a linked list of symbols, where
 * stale queue entries are recognised by the merged id they promised, so ties and overlapping pairs resolve exactly
 * as there. Results are cached per word, because natural text repeats its words constantly.
 */
final class BytePairModel {

    /** Same bound as the Rust library: the cache stops growing when full instead of evicting. */
    private static final int CACHE_CAPACITY = 10_000;
    /** Longer words are rare and would only crowd the cache. */
    private static final int MAX_CACHED_WORD_LENGTH = 256;

    private final Map<String, Integer> vocab;
    private final String[] tokens;
    /** (left id, right id) packed into a long → (rank, merged id) packed into a long. */
    private final Map<Long, Long> merges;
    private final boolean ignoreMerges;
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final String source;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BytePairModel(Map<String, Integer> vocab, Map<Long, Long> merges, boolean ignoreMerges, Integer unkId,
                  boolean fuseUnk, boolean byteFallback, String source) {
        this.vocab = vocab;
        this.merges = merges;
        this.ignoreMerges = ignoreMerges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.source = source;
        int max = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.tokens = new String[max + 1];
        vocab.forEach((token, id) -> tokens[id] = token);
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The token spelled by {@code id}, or null if the vocabulary has no such id. */
    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    Integer id(String token) {
        return vocab.get(token);
    }

    int size() {
        return vocab.size();
    }

    /** One past the largest vocabulary id. */
    int idBound() {
        return tokens.length;
    }

    void tokenize(String word, IdList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = merge(word);
            if (word.length() <= MAX_CACHED_WORD_LENGTH && cache.size() < CACHE_CAPACITY) {
                cache.putIfAbsent(word, cached);
            }
        }
        out.addAll(cached);
    }

    private int[] merge(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int n = word.length();
        // Byte fallback can turn one char into up to three tokens (four for a surrogate pair's two chars).
        int[] ids = new int[3 * n];
        int count = 0;
        boolean previousUnk = false;
        for (int i = 0; i < n; ) {
            int cp = word.codePointAt(i);
            String symbol = new String(Character.toChars(cp));
            i += symbol.length();
            Integer id = vocab.get(symbol);
            if (id == null && byteFallback) {
                int[] bytes = byteFallbackIds(symbol);
                if (bytes != null) {
                    for (int b : bytes) {
                        ids[count++] = b;
                    }
                    previousUnk = false;
                    continue;
                }
            }
            if (id == null) {
                if (unkId == null) {
                    throw new TokenizerException(source + ": model.vocab has no token for U+"
                            + Integer.toHexString(cp).toUpperCase() + " and model.unk_token is not set");
                }
                if (fuseUnk && previousUnk) {
                    continue;
                }
                ids[count++] = unkId;
                previousUnk = true;
                continue;
            }
            ids[count++] = id;
            previousUnk = false;
        }
        return applyMerges(ids, count);
    }

    /** The {@code <0xXX>} tokens of the symbol's UTF-8 bytes, or null if the vocabulary lacks any of them. */
    private int[] byteFallbackIds(String symbol) {
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        int[] out = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            Integer id = vocab.get(String.format("<0x%02X>", bytes[i] & 0xFF));
            if (id == null) {
                return null;
            }
            out[i] = id;
        }
        return out;
    }

    private record Merge(int rank, int pos, int newId) implements Comparable<Merge> {
        @Override
        public int compareTo(Merge o) {
            return rank != o.rank ? Integer.compare(rank, o.rank) : Integer.compare(pos, o.pos);
        }
    }

    private int[] applyMerges(int[] ids, int n) {
        if (n < 2) {
            return Arrays.copyOf(ids, n);
        }
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] alive = new boolean[n];
        PriorityQueue<Merge> queue = new PriorityQueue<>();
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            alive[i] = true;
            if (i + 1 < n) {
                offer(queue, ids, i, i + 1);
            }
        }
        while (!queue.isEmpty()) {
            Merge top = queue.poll();
            int pos = top.pos;
            int right = next[pos];
            if (!alive[pos] || right == -1) {
                continue;
            }
            Long target = merges.get(pair(ids[pos], ids[right]));
            if (target == null || (int) (long) target != top.newId) {
                continue;
            }
            ids[pos] = top.newId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] != -1) {
                prev[next[right]] = pos;
            }
            if (prev[pos] != -1) {
                offer(queue, ids, prev[pos], pos);
            }
            if (next[pos] != -1) {
                offer(queue, ids, pos, next[pos]);
            }
        }
        IdList out = new IdList();
        for (int i = 0; i != -1; i = next[i]) {
            out.add(ids[i]);
        }
        return out.toArray();
    }

    private void offer(PriorityQueue<Merge> queue, int[] ids, int left, int right) {
        Long merge = merges.get(pair(ids[left], ids[right]));
        if (merge != null) {
            queue.add(new Merge((int) (merge >>> 32), left, (int) (long) merge));
        }
    }
}
