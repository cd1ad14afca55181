package dev.conclave.model;

import dev.conclave.attention.KvCache;
import java.util.Arrays;

/**
 * One sequence's state in a pipeline: the tokens it has seen and the KV caches of every layer (and of
 * the MTP layer, when the model has one). Its length is the number of positions in the main caches.
 */
public final class Sequence implements StepPipeline.SequenceHandle {

    private final KvCache[] layers;
    private final KvCache mtp;
    private int[] tokens = new int[16];
    private int length;

    Sequence(KvCache[] layers, KvCache mtp) {
        this.layers = layers;
        this.mtp = mtp;
    }

    /** Its caches are plain heap, freed by the GC. */
    @Override
    public void release() {
    }

    public int length() {
        return length;
    }

    public int[] tokens() {
        return Arrays.copyOf(tokens, length);
    }

    KvCache[] caches() {
        return layers;
    }

    KvCache mtp() {
        return mtp;
    }

    /** Rolls the main caches back to {@code newLength} positions: rejected drafts leave no trace. */
    void truncate(int newLength) {
        if (newLength > length) {
            throw new IllegalArgumentException("cannot roll back a sequence of " + length + " positions to " + newLength);
        }
        for (KvCache cache : layers) {
            cache.truncate(newLength);
        }
        length = newLength;
    }

    void appended(int[] newTokens) {
        if (length + newTokens.length > tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(tokens.length * 2, length + newTokens.length));
        }
        System.arraycopy(newTokens, 0, tokens, length, newTokens.length);
        length += newTokens.length;
    }
}
