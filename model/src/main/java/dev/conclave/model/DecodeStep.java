package dev.conclave.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One generation step over many sequences ({@link Lane}s), with or without speculative decoding by the MTP
 * layer (spec §5.4), shared by {@link Generator} and the batching engine, over any {@link StepPipeline}: the
 * model in this JVM or a cluster's stages.
 *
 * <p>A lane still reading its prompt feeds a chunk of it; a decoding lane feeds its pending token (emitted,
 * not yet in the caches) followed by its drafts, and the main model verifies them all in the same batched
 * forward. {@link DraftAcceptance} keeps the accepted prefix plus one token; both caches are rolled back
 * past it. The MTP layer then runs over the kept rows, pairing each main hidden state with the token that
 * followed it (so its cache is exactly what drafting from the true history gives), and drafts
 * {@code d_1} from the last kept row; {@code d_2..d_N} chain on its own normed output (SGLang convention).
 * Chained rows extend the MTP cache only until the next step, which truncates them.
 *
 * <p>A lane never drafts more than it may still emit minus one, so a verification never feeds a position
 * beyond its prompt plus token budget: the KV reservation of a plain run covers every draft slot.
 */
public final class DecodeStep {

    /** One sequence's generation state between steps. */
    public static final class Lane {
        private final StepPipeline.SequenceHandle sequence;
        private final int[] prompt;
        private final Sampler sampler;
        private final MtpStats stats;
        private final int[] drafts;
        private final double[][] q;
        private final boolean logProbs;
        private int prefilled;
        private int remaining;
        private int pending = -1;
        private int draftCount;
        private int[] emitted = new int[0];
        private double[] emittedLogProbs;

        private Lane(StepPipeline.SequenceHandle sequence, int[] prompt, Sampler sampler, int budget, int maxDrafts,
                     int vocab, boolean logProbs) {
            this.sequence = sequence;
            this.prompt = prompt;
            this.sampler = sampler;
            this.remaining = budget;
            this.stats = new MtpStats(maxDrafts);
            this.drafts = new int[maxDrafts];
            this.q = sampler.isGreedy() ? null : new double[maxDrafts][vocab];
            this.logProbs = logProbs;
            this.emittedLogProbs = logProbs ? new double[0] : null;
        }

        public StepPipeline.SequenceHandle sequence() {
            return sequence;
        }

        /** Prompt tokens not yet fed. */
        public int promptLeft() {
            return prompt.length - prefilled;
        }

        /** Tokens the lane may still emit. */
        public int remaining() {
            return remaining;
        }

        /** The tokens the last step emitted, in order (none while a prompt chunk is not the last). */
        public int[] emitted() {
            return emitted;
        }

        /**
         * The log-probability each of {@link #emitted()} was sampled with ({@link Sampler#logProb} on its target
         * row: an accepted draft is distributed as the target's sample); null unless the lane records them.
         */
        public double[] emittedLogProbs() {
            return emittedLogProbs;
        }

        /** This lane's speculation counters so far. */
        public MtpStats stats() {
            return stats;
        }
    }

    private final StepPipeline pipeline;
    private final int maxDrafts;
    private final int vocab;
    private final double[] p;
    private final int[] accepted;

    /** {@code drafts} chained MTP drafts per step; 0 decodes one token per step. */
    public DecodeStep(StepPipeline pipeline, int drafts) {
        if (drafts < 0) {
            throw new IllegalArgumentException("the number of MTP drafts must be >= 0, got " + drafts);
        }
        if (drafts > 0 && !pipeline.hasMtp()) {
            throw new IllegalArgumentException("MTP drafting needs a checkpoint with an MTP layer"
                    + " (num_nextn_predict_layers >= 1); this one has none");
        }
        this.pipeline = pipeline;
        this.maxDrafts = drafts;
        this.vocab = pipeline.vocab();
        this.p = new double[vocab];
        this.accepted = new int[drafts + 1];
    }

    public int drafts() {
        return maxDrafts;
    }

    /** A new lane that will emit at most {@code budget} tokens after {@code prompt}. */
    public Lane lane(int[] prompt, Sampler sampler, int budget) {
        return lane(prompt, sampler, budget, false);
    }

    /** As {@link #lane(int[], Sampler, int)}, recording each emitted token's log-prob when {@code logProbs}. */
    public Lane lane(int[] prompt, Sampler sampler, int budget, boolean logProbs) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt needs at least one token");
        }
        return new Lane(pipeline.newSequence(), prompt.clone(), sampler, budget, maxDrafts, vocab, logProbs);
    }

    /**
     * Runs one step: lane i feeds {@code chunks[i]} (at least 1) prompt tokens while it has prompt left, else
     * its pending token and drafts ({@code chunks[i]} unused). Afterwards each lane's {@link Lane#emitted()}
     * holds what it produced; a lane with nothing {@link Lane#remaining()} is done.
     */
    public void run(List<Lane> lanes, int[] chunks) {
        int n = lanes.size();
        List<StepPipeline.SequenceHandle> sequences = new ArrayList<>(n);
        List<int[]> tokens = new ArrayList<>(n);
        int[] logitRows = new int[n];
        for (int s = 0; s < n; s++) {
            Lane lane = lanes.get(s);
            if (lane.remaining <= 0) {
                throw new IllegalStateException("lane " + s + " has no tokens left to emit");
            }
            int[] feed;
            if (lane.promptLeft() > 0) {
                int c = chunks[s];
                if (c < 1 || c > lane.promptLeft()) {
                    throw new IllegalArgumentException("lane " + s + ": a prompt chunk of " + c + " tokens with "
                            + lane.promptLeft() + " left");
                }
                feed = Arrays.copyOfRange(lane.prompt, lane.prefilled, lane.prefilled + c);
                logitRows[s] = c == lane.promptLeft() ? 1 : 0;
            } else {
                feed = new int[1 + lane.draftCount];
                feed[0] = lane.pending;
                System.arraycopy(lane.drafts, 0, feed, 1, lane.draftCount);
                logitRows[s] = feed.length;
            }
            sequences.add(lane.sequence);
            tokens.add(feed);
        }
        StepPipeline.StepOutput out = pipeline.step(sequences, tokens, logitRows, maxDrafts > 0);

        // Accept, roll back, and collect the rows the MTP layer runs over next.
        List<Lane> extended = new ArrayList<>();
        List<int[]> extendRows = new ArrayList<>();   // {first main row, count}
        List<int[]> extendNext = new ArrayList<>();
        int logitRow = 0;
        for (int s = 0; s < n; s++) {
            Lane lane = lanes.get(s);
            int[] feed = tokens.get(s);
            int firstRow = out.layout().start(s);
            int start = out.layout().startPosition(s);
            int keep;
            int[] next;
            if (lane.promptLeft() > 0) {
                boolean last = logitRows[s] == 1;
                lane.prefilled += feed.length;
                next = new int[feed.length];
                System.arraycopy(feed, 1, next, 0, feed.length - 1);
                if (last) {
                    float[] row = out.logitsOf(logitRow, vocab);
                    int token = lane.sampler.sample(row);
                    next[feed.length - 1] = token;
                    emit(lane, new int[] {token}, new float[][] {row});
                } else {
                    next[feed.length - 1] = lane.prompt[lane.prefilled];
                    lane.emitted = new int[0];
                    lane.emittedLogProbs = lane.logProbs ? new double[0] : null;
                }
                keep = feed.length;
            } else {
                int k = lane.draftCount;
                float[][] target = new float[k + 1][];
                for (int j = 0; j <= k; j++) {
                    target[j] = out.logitsOf(logitRow + j, vocab);
                }
                if (k == 0) {
                    next = new int[] {lane.sampler.sample(target[0])};
                } else {
                    int j = DraftAcceptance.accept(lane.sampler, target, lane.drafts, k, lane.q, p, accepted);
                    lane.stats.record(k, j);
                    pipeline.truncate(lane.sequence, start + j + 1, start);
                    next = Arrays.copyOf(accepted, j + 1);
                }
                emit(lane, next, target);
                keep = next.length;
            }
            logitRow += logitRows[s];
            // Drafts only once the prompt is in; the MTP cache still follows every prompt chunk.
            lane.draftCount = lane.promptLeft() > 0 ? 0 : Math.max(0, Math.min(maxDrafts, lane.remaining - 1));
            if (maxDrafts == 0 || (lane.promptLeft() == 0 && lane.draftCount == 0)) {
                continue;
            }
            extended.add(lane);
            extendRows.add(new int[] {firstRow, keep});
            extendNext.add(next);
        }
        if (!extended.isEmpty()) {
            draft(extended, extendRows, extendNext, out.hidden());
        }
    }

    /** {@code rows[i]} are the target logits token i was sampled (or accepted) from, for its log-prob. */
    private static void emit(Lane lane, int[] tokens, float[][] rows) {
        lane.pending = tokens[tokens.length - 1];
        lane.remaining -= tokens.length;
        lane.emitted = tokens;
        if (lane.logProbs) {
            lane.emittedLogProbs = new double[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                lane.emittedLogProbs[i] = lane.sampler.logProb(rows[i], tokens[i]);
            }
        }
    }

    /** Extends the lanes' MTP caches over their kept rows, then drafts d_1 and chains d_2.. on the MTP output. */
    private void draft(List<Lane> lanes, List<int[]> rows, List<int[]> next, float[] hidden) {
        int hiddenSize = pipeline.config().hiddenSize();
        int n = lanes.size();
        int[] counts = new int[n];
        int total = 0;
        for (int s = 0; s < n; s++) {
            counts[s] = rows.get(s)[1];
            total += counts[s];
        }
        float[] h = new float[total * hiddenSize];
        int[] flatNext = new int[total];
        List<Integer> draftingLanes = new ArrayList<>();
        List<Integer> lastRows = new ArrayList<>();
        int row = 0;
        for (int s = 0; s < n; s++) {
            System.arraycopy(hidden, rows.get(s)[0] * hiddenSize, h, row * hiddenSize, counts[s] * hiddenSize);
            System.arraycopy(next.get(s), 0, flatNext, row, counts[s]);
            row += counts[s];
            if (lanes.get(s).draftCount > 0) {
                draftingLanes.add(s);
                lastRows.add(row - 1);
            }
        }
        List<StepPipeline.SequenceHandle> sequences = lanes.stream().map(Lane::sequence).toList();
        int[] selected = lastRows.stream().mapToInt(Integer::intValue).toArray();
        StepPipeline.MtpOutput out = pipeline.mtp(sequences, counts, h, flatNext, selected);

        // Chain: depth d runs one row for every lane that drafts more than d tokens.
        int[] active = draftingLanes.stream().mapToInt(Integer::intValue).toArray();
        for (int depth = 0; active.length > 0; depth++) {
            float[] chainH = new float[active.length * hiddenSize];
            int[] chainTokens = new int[active.length];
            List<StepPipeline.SequenceHandle> chainSequences = new ArrayList<>();
            List<Integer> still = new ArrayList<>();
            int m = 0;
            for (int a = 0; a < active.length; a++) {
                Lane lane = lanes.get(active[a]);
                int d = choose(lane, depth, Arrays.copyOfRange(out.logits(), a * vocab, (a + 1) * vocab));
                lane.drafts[depth] = d;
                if (depth + 1 < lane.draftCount) {
                    System.arraycopy(out.normed(), a * hiddenSize, chainH, m * hiddenSize, hiddenSize);
                    chainTokens[m] = d;
                    chainSequences.add(lane.sequence);
                    still.add(active[a]);
                    m++;
                }
            }
            if (m == 0) {
                break;
            }
            int[] ones = new int[m];
            Arrays.fill(ones, 1);
            int[] chainSelected = new int[m];
            Arrays.setAll(chainSelected, i -> i);
            out = pipeline.mtp(chainSequences, ones, Arrays.copyOf(chainH, m * hiddenSize), Arrays.copyOf(chainTokens, m),
                    chainSelected);
            active = still.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The draft at {@code depth}: the argmax when greedy, else a sample of q (kept for the acceptance test). */
    private static int choose(Lane lane, int depth, float[] logits) {
        if (lane.sampler.isGreedy()) {
            return Sampler.argmax(logits);
        }
        lane.sampler.probabilities(logits, lane.q[depth]);
        return lane.sampler.draw(lane.q[depth], logits.length);
    }
}
