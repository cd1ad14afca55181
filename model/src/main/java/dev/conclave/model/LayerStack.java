package dev.conclave.model;

import dev.conclave.attention.KvCache;
import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.parallel.Parallel;
import java.util.List;

/**
 * A contiguous range of decoder layers run over one step's rows: what one attention stage owns. Each
 * sequence brings one KV cache per layer of the range.
 */
public final class LayerStack {

    private final DecoderLayer[] layers;
    private final Parallel parallel;
    private final FeedForward.Scratch scratch = new FeedForward.Scratch();

    public LayerStack(List<DecoderLayer> layers, Parallel parallel) {
        for (int i = 1; i < layers.size(); i++) {
            if (layers.get(i).index() != layers.get(i - 1).index() + 1) {
                throw new IllegalArgumentException("layers of a stack must be contiguous: " + layers.get(i - 1).index()
                        + " is followed by " + layers.get(i).index());
            }
        }
        this.layers = layers.toArray(DecoderLayer[]::new);
        this.parallel = parallel;
    }

    public int size() {
        return layers.length;
    }

    /** One empty KV cache per layer of the stack, for a new sequence. */
    public KvCache[] newCaches() {
        KvCache[] caches = new KvCache[layers.length];
        for (int i = 0; i < layers.length; i++) {
            caches[i] = layers[i].attention().newCache();
        }
        return caches;
    }

    /**
     * Runs every layer over {@code x} ([rows, hidden], updated in place); {@code caches[s]} are sequence s's
     * caches from {@link #newCaches}.
     */
    public void forward(float[] x, StepLayout layout, KvCache[][] caches) {
        KvCache[] perLayer = new KvCache[layout.sequences()];
        for (int i = 0; i < layers.length; i++) {
            for (int s = 0; s < perLayer.length; s++) {
                perLayer[s] = caches[s][i];
            }
            layers[i].forward(x, layout, perLayer, scratch, parallel);
        }
    }
}
