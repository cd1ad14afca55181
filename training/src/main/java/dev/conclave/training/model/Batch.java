package dev.conclave.training.model;

import dev.conclave.training.nn.Documents;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Packed training input (training spec §7.2): token rows concatenated, each row holding one or more
 * documents, and a loss mask per token saying whether that token is trained as a target (SFT: the
 * assistant tokens and the token ending the turn, spec §7.1). Position t predicts token t+1 (main loss) and
 * t+2 (MTP loss) only inside its own document.
 */
public record Batch(int[] tokens, Documents docs, boolean[] lossMask) {

    public Batch {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one token");
        }
        if (tokens.length != docs.rows() || lossMask.length != docs.rows()) {
            throw new IllegalArgumentException(tokens.length + " tokens and " + lossMask.length
                    + " mask entries for documents covering " + docs.rows() + " rows");
        }
    }

    public int rows() {
        return tokens.length;
    }

    /** Whether row t has a trained target {@code ahead} rows later: inside its document and masked in. */
    public boolean isTarget(int t, int ahead) {
        return docs.hasAhead(t, ahead) && lossMask[t + ahead];
    }

    /** The number of trained targets {@code ahead} rows later: 1 for the main loss, 2 for the MTP loss. */
    public int targetCount(int ahead) {
        int count = 0;
        for (int t = 0; t < rows(); t++) {
            count += isTarget(t, ahead) ? 1 : 0;
        }
        return count;
    }

    /** One document, every token a target. */
    public static Batch of(int... tokens) {
        boolean[] mask = new boolean[tokens.length];
        Arrays.fill(mask, true);
        return new Batch(tokens, Documents.of(tokens.length), mask);
    }

    /** Collects documents (token ids with their per-token loss mask) into one packed batch. */
    public static final class Builder {
        private final List<int[]> tokens = new ArrayList<>();
        private final List<boolean[]> masks = new ArrayList<>();

        public Builder add(int[] documentTokens, boolean[] mask) {
            if (documentTokens.length != mask.length || documentTokens.length == 0) {
                throw new IllegalArgumentException("document of " + documentTokens.length + " tokens with a mask of "
                        + mask.length);
            }
            tokens.add(documentTokens.clone());
            masks.add(mask.clone());
            return this;
        }

        public Batch build() {
            int n = tokens.stream().mapToInt(t -> t.length).sum();
            int[] all = new int[n];
            boolean[] mask = new boolean[n];
            int[] lengths = new int[tokens.size()];
            int at = 0;
            for (int d = 0; d < tokens.size(); d++) {
                int[] t = tokens.get(d);
                System.arraycopy(t, 0, all, at, t.length);
                System.arraycopy(masks.get(d), 0, mask, at, t.length);
                lengths[d] = t.length;
                at += t.length;
            }
            return new Batch(all, Documents.of(lengths), mask);
        }
    }
}
