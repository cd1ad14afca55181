package dev.conclave.actors;

import dev.conclave.core.batch.StepLayout;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.model.StepPipeline;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The serving engine's steps run by a cluster: each main step or MTP step is one round trip to the head
 * node's orchestrator, which runs the whole batch through its attention stages (and the experts over the
 * data plane). The KV caches live on the attention stages; a handle keeps the lengths its caches should
 * have, and a rollback travels with the sequence's next step as the position that step starts at.
 *
 * <p>A step's answer (the logits of every verified row, and the hidden states when drafting) must fit one
 * control-plane frame, which Artery would otherwise drop unseen: a batch whose answer would not is sent as
 * several steps over consecutive groups of its sequences, which are independent of one another.
 */
public final class ClusterStepPipeline implements StepPipeline {

    private final ClusterClient client;
    private final ModelConfig config;
    private final Duration timeout;
    private final long answerBudget;

    /** Room in a frame for the message around a step's float arrays (ids, the record, Kryo's framing). */
    private static final long FRAME_OVERHEAD = 64 << 10;

    /** {@code config} is the served checkpoint's; {@code timeout} bounds one step's round trip. */
    public ClusterStepPipeline(ClusterClient client, ModelConfig config, Duration timeout) {
        this(client, config, timeout, client.maxFrameBytes() - FRAME_OVERHEAD);
    }

    /** As above, with at most {@code answerBudget} bytes of floats in one step's answer. */
    ClusterStepPipeline(ClusterClient client, ModelConfig config, Duration timeout, long answerBudget) {
        this.client = client;
        this.config = config;
        this.timeout = timeout;
        this.answerBudget = answerBudget;
    }

    /** An opened sequence and the lengths its main and MTP caches have, or will have once its next step cuts them. */
    private static final class Remote implements SequenceHandle {
        final ClusterClient client;
        final long id;
        int length;
        int mtpLength;

        Remote(ClusterClient client, long id) {
            this.client = client;
            this.id = id;
        }

        @Override
        public void release() {
            client.tell(new Orchestrator.CloseSequence(id));
        }
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int vocab() {
        return config.vocabSize();
    }

    /** A placement hosts every layer its model has (the validator refuses any other), so the MTP layer with it. */
    @Override
    public boolean hasMtp() {
        return config.hasMtp();
    }

    @Override
    public SequenceHandle newSequence() {
        return switch (client.ask(Orchestrator.OpenSequence::new, timeout)) {
            case Orchestrator.SequenceOpened opened -> new Remote(client, opened.sequenceId());
            case Orchestrator.Failed f -> throw new IllegalStateException("the cluster opened no sequence: " + f.reason());
            case Orchestrator.Result other -> throw new IllegalStateException("unexpected answer " + other);
        };
    }

    @Override
    public StepOutput step(List<? extends SequenceHandle> sequences, List<int[]> newTokens, int[] logitRows, boolean hidden) {
        int n = sequences.size();
        long[] ids = new long[n];
        int[] positions = new int[n];
        int[] counts = new int[n];
        int total = 0;
        for (int s = 0; s < n; s++) {
            Remote r = remote(sequences.get(s));
            ids[s] = r.id;
            positions[s] = r.length;
            counts[s] = newTokens.get(s).length;
            total += counts[s];
        }
        int[] tokens = new int[total];
        int[] selected = new int[Arrays.stream(logitRows).sum()];
        int[] firstToken = new int[n + 1];
        for (int s = 0, at = 0, k = 0; s < n; at += counts[s], s++) {
            System.arraycopy(newTokens.get(s), 0, tokens, at, counts[s]);
            firstToken[s + 1] = at + counts[s];
            for (int r = at + counts[s] - logitRows[s]; r < at + counts[s]; r++) {
                selected[k++] = r;
            }
        }
        float[] logits = new float[selected.length * vocab()];
        float[] states = new float[hidden ? total * config.hiddenSize() : 0];
        int logitsAt = 0;
        int statesAt = 0;
        for (int[] group : groups(counts, logitRows, hidden)) {
            int a = group[0];
            int b = group[1];
            int[] groupTokens = Arrays.copyOfRange(tokens, firstToken[a], firstToken[b]);
            var stepped = ask(Orchestrator.Stepped.class, replyTo -> new Orchestrator.Step(Arrays.copyOfRange(ids, a, b),
                    Arrays.copyOfRange(positions, a, b), Arrays.copyOfRange(counts, a, b), groupTokens,
                    Arrays.copyOfRange(logitRows, a, b), hidden, replyTo));
            System.arraycopy(stepped.logits(), 0, logits, logitsAt, stepped.logits().length);
            logitsAt += stepped.logits().length;
            System.arraycopy(stepped.hidden(), 0, states, statesAt, stepped.hidden().length);
            statesAt += stepped.hidden().length;
        }
        for (int s = 0; s < n; s++) {
            remote(sequences.get(s)).length += counts[s];
        }
        return new StepOutput(StepLayout.of(counts, positions), states, selected, logits);
    }

    /**
     * Consecutive ranges {@code [a, b)} of the sequences whose answer fits {@link #answerBudget}; a lone sequence
     * whose answer cannot is refused, naming the setting that would let it through.
     */
    private List<int[]> groups(int[] counts, int[] logitRows, boolean hidden) {
        List<int[]> groups = new java.util.ArrayList<>();
        int start = 0;
        long bytes = 0;
        for (int s = 0; s < counts.length; s++) {
            long own = Float.BYTES * ((long) logitRows[s] * vocab() + (hidden ? (long) counts[s] * config.hiddenSize() : 0));
            if (own > answerBudget) {
                throw new IllegalArgumentException("one sequence's step answer needs " + own + " bytes, more than the "
                        + answerBudget + " a control-plane frame has room for: feed fewer rows per step (--prefill-chunk)"
                        + " or raise pekko.remote.artery.advanced.maximum-frame-size on every node and client");
            }
            if (bytes + own > answerBudget) {
                groups.add(new int[] {start, s});
                start = s;
                bytes = 0;
            }
            bytes += own;
        }
        groups.add(new int[] {start, counts.length});
        return groups;
    }

    @Override
    public MtpOutput mtp(List<? extends SequenceHandle> sequences, int[] counts, float[] h, int[] nextTokens, int[] selected) {
        int n = sequences.size();
        long[] ids = new long[n];
        int[] positions = new int[n];
        for (int s = 0; s < n; s++) {
            Remote r = remote(sequences.get(s));
            ids[s] = r.id;
            positions[s] = r.mtpLength;
        }
        var drafted = ask(Orchestrator.Drafted.class, replyTo -> new Orchestrator.MtpStep(ids, positions, counts.clone(),
                h, nextTokens.clone(), selected.clone(), replyTo));
        for (int s = 0; s < n; s++) {
            remote(sequences.get(s)).mtpLength += counts[s];
        }
        return new MtpOutput(drafted.logits(), drafted.normed());
    }

    @Override
    public void truncate(SequenceHandle sequence, int length, int mtpLength) {
        Remote r = remote(sequence);
        if (length < 0 || length > r.length || mtpLength < 0 || mtpLength > r.mtpLength) {
            throw new IllegalArgumentException("cannot roll sequence " + r.id + " back from " + r.length + " positions (MTP "
                    + r.mtpLength + ") to " + length + " (MTP " + mtpLength + ")");
        }
        r.length = length;
        r.mtpLength = mtpLength;
    }

    private <T extends Orchestrator.Result> T ask(Class<T> answer,
                                                   Function<ActorRef<Orchestrator.Result>, Orchestrator.Command> request) {
        Orchestrator.Result result = client.ask(request, timeout);
        if (answer.isInstance(result)) {
            return answer.cast(result);
        }
        if (result instanceof Orchestrator.Failed f) {
            throw new IllegalStateException(f.reason());
        }
        throw new IllegalStateException("unexpected answer " + result);
    }

    private static Remote remote(SequenceHandle handle) {
        if (!(handle instanceof Remote r)) {
            throw new IllegalArgumentException("not a sequence of this cluster: " + handle);
        }
        return r;
    }
}
