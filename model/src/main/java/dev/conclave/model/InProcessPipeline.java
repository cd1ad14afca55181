package dev.conclave.model;

import dev.conclave.attention.KvCache;
import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole model in one JVM: embed → decoder layers (attention stage, router, expert shard, combine) →
 * final norm → lm_head, plus the MTP layer. It is the reference the actor system must reproduce: every
 * stage boundary it crosses is a plain float buffer.
 *
 * <p>One {@link #step} runs any mix of sequences, each with any number of new tokens (prefill and
 * decode together): their rows are flattened for the router and experts, attention stays per sequence.
 */
public final class InProcessPipeline implements StepPipeline {

    /** Which rows get vocabulary logits. */
    public enum Logits { ALL, LAST_PER_SEQUENCE, NONE }

    private final ModelConfig config;
    private final Parallel parallel;
    private final Embedding embedding;
    private final LayerStack layers;
    private final OutputHead output;
    private final MtpLayer mtp;
    private final DecoderLayer mtpBlock;
    private final FeedForward.Scratch scratch = new FeedForward.Scratch();
    private float[] x = new float[0];
    private float[] mtpX = new float[0];

    private InProcessPipeline(ModelConfig config, Parallel parallel, Embedding embedding, LayerStack layers,
                              OutputHead output, MtpLayer mtp, DecoderLayer mtpBlock) {
        this.config = config;
        this.parallel = parallel;
        this.embedding = embedding;
        this.layers = layers;
        this.output = output;
        this.mtp = mtp;
        this.mtpBlock = mtpBlock;
    }

    /** Builds every stage from the checkpoint; weights stay in the memory-mapped files. */
    public static InProcessPipeline load(Checkpoint checkpoint, Parallel parallel) {
        StageFactory f = new StageFactory(checkpoint);
        ModelConfig c = f.config();
        int mainLayers = c.numHiddenLayers();
        boolean withMtp = checkpoint.hasMtp();
        RoutedExperts experts = new ShardExperts(f.shard((layer, expert) -> true));
        List<DecoderLayer> layers = new ArrayList<>();
        for (int l = 0; l < mainLayers; l++) {
            layers.add(f.decoderLayer(l, experts));
        }
        OutputHead output = OutputHead.load(f);
        Embedding embedding = Embedding.load(f);
        MtpLayer mtp = withMtp ? MtpLayer.load(checkpoint, embedding, output) : null;
        DecoderLayer mtpBlock = withMtp ? f.decoderLayer(c.mtpLayerIndex(), experts) : null;
        return new InProcessPipeline(c, parallel, embedding, new LayerStack(layers, parallel), output, mtp,
                mtpBlock);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public boolean hasMtp() {
        return mtp != null;
    }

    @Override
    public int vocab() {
        return output.vocab();
    }

    @Override
    public Sequence newSequence() {
        return new Sequence(layers.newCaches(), mtp == null ? null : mtpBlock.attention().newCache());
    }

    /** One forward step over the new tokens of each sequence; appends them to the sequences' caches. */
    public StepOutput step(List<Sequence> sequences, List<int[]> newTokens, Logits which) {
        int[] trailing = new int[sequences.size()];
        for (int s = 0; s < trailing.length; s++) {
            trailing[s] = switch (which) {
                case ALL -> newTokens.get(s).length;
                case LAST_PER_SEQUENCE -> 1;
                case NONE -> 0;
            };
        }
        return step(sequences, newTokens, trailing);
    }

    /**
     * One forward step as above; the last {@code logitRows[s]} rows of sequence s get logits, in row order
     * (a speculative verification needs every drafted row, a prefill chunk at most its last).
     */
    public StepOutput step(List<Sequence> sequences, List<int[]> newTokens, int[] logitRows) {
        return step(sequences, newTokens, logitRows, true);
    }

    /** {@inheritDoc} The hidden states are always there: the logits are computed from them. */
    @Override
    public StepOutput step(List<? extends SequenceHandle> handles, List<int[]> newTokens, int[] logitRows, boolean withHidden) {
        List<Sequence> sequences = handles.stream().map(InProcessPipeline::local).toList();
        int n = sequences.size();
        int[] counts = new int[n];
        int[] starts = new int[n];
        for (int s = 0; s < n; s++) {
            counts[s] = newTokens.get(s).length;
            starts[s] = sequences.get(s).length();
            int limit = config.maxPositionEmbeddings();
            if (starts[s] + counts[s] > limit) {
                throw new IllegalArgumentException("sequence " + s + " would reach " + (starts[s] + counts[s])
                        + " positions, beyond max_position_embeddings " + limit);
            }
        }
        StepLayout layout = StepLayout.of(counts, starts);
        int rows = layout.rows();
        int hidden = config.hiddenSize();
        if (x.length < rows * hidden) {
            x = new float[rows * hidden];
        }
        int[] flat = new int[rows];
        for (int s = 0; s < n; s++) {
            System.arraycopy(newTokens.get(s), 0, flat, layout.start(s), counts[s]);
        }
        embedding.lookup(flat, x);

        KvCache[][] caches = new KvCache[n][];
        for (int s = 0; s < n; s++) {
            caches[s] = sequences.get(s).caches();
        }
        layers.forward(x, layout, caches);
        for (int s = 0; s < n; s++) {
            sequences.get(s).appended(newTokens.get(s));
        }

        float[] h = output.normalize(x, rows);
        int selectedRows = 0;
        for (int s = 0; s < n; s++) {
            if (logitRows[s] < 0 || logitRows[s] > counts[s]) {
                throw new IllegalArgumentException("sequence " + s + " asks logits for " + logitRows[s]
                        + " rows of its " + counts[s] + " new tokens");
            }
            selectedRows += logitRows[s];
        }
        int[] selected = new int[selectedRows];
        int i = 0;
        for (int s = 0; s < n; s++) {
            for (int r = layout.start(s) + counts[s] - logitRows[s]; r < layout.start(s) + counts[s]; r++) {
                selected[i++] = r;
            }
        }
        float[] logits = selected.length == 0 ? new float[0] : output.logits(h, selected, parallel);
        return new StepOutput(layout, h, selected, logits);
    }

    @Override
    public MtpOutput mtp(List<? extends SequenceHandle> handles, int[] counts, float[] h, int[] nextTokens, int[] selected) {
        requireMtp();
        int[] starts = new int[handles.size()];
        KvCache[] caches = new KvCache[handles.size()];
        for (int s = 0; s < starts.length; s++) {
            caches[s] = local(handles.get(s)).mtp();
            starts[s] = caches[s].length();
        }
        float[] logits = mtpForward(h, nextTokens, StepLayout.of(counts, starts), caches, selected);
        return new MtpOutput(logits, mtp.normedRows(selected));
    }

    @Override
    public void truncate(SequenceHandle handle, int length, int mtpLength) {
        Sequence sequence = local(handle);
        sequence.truncate(length);
        if (sequence.mtp() != null) {
            sequence.mtp().truncate(mtpLength);
        }
    }

    /** The MTP layer's input, its decoder block over the caches, then its head's logits of rows {@code selected}. */
    private float[] mtpForward(float[] h, int[] nextTokens, StepLayout layout, KvCache[] caches, int[] selected) {
        int rows = layout.rows();
        if (mtpX.length < rows * config.hiddenSize()) {
            mtpX = new float[rows * config.hiddenSize()];
        }
        mtp.input(h, nextTokens, rows, mtpX, parallel);
        mtpBlock.forward(mtpX, layout, caches, scratch, parallel);
        return mtp.output(mtpX, rows, selected, parallel);
    }

    private void requireMtp() {
        if (mtp == null) {
            throw new IllegalStateException("this checkpoint has no MTP layer");
        }
    }

    private static Sequence local(SequenceHandle handle) {
        if (!(handle instanceof Sequence sequence)) {
            throw new IllegalArgumentException("not a sequence of an in-process pipeline: " + handle);
        }
        return sequence;
    }

    /**
     * Runs the MTP layer over the rows of a finished main step of one sequence: row r pairs the main
     * hidden state of that row with {@code nextTokens[r]} (the token that followed it), filling the MTP
     * KV cache; returns the draft logits of the last row.
     */
    public float[] mtpDraft(Sequence sequence, StepOutput main, int[] nextTokens) {
        requireMtp();
        if (main.layout().sequences() != 1 || nextTokens.length != main.layout().rows()) {
            throw new IllegalArgumentException("mtpDraft takes one sequence's step and one next token per row");
        }
        StepLayout layout = StepLayout.single(main.layout().rows(), sequence.mtp().length());
        int last = layout.rows() - 1;
        return mtpForward(main.hidden(), nextTokens, layout, new KvCache[] {sequence.mtp()}, new int[] {last});
    }
}
