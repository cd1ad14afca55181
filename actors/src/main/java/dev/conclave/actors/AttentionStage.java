package dev.conclave.actors;

import dev.conclave.attention.KvCache;
import dev.conclave.core.batch.StepLayout;
import dev.conclave.model.LayerStack;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * An attention stage: owns a contiguous range of layers (their attention, norms, router gates, dense MLPs
 * and shared experts), possibly the MTP layer's decoder block, and the KV caches of the sequences it serves.
 * It runs on its own pinned thread: a step's routed experts are reached over the data plane while this
 * thread waits for their rows, and one thread is what keeps the data plane's exchanges one at a time.
 */
public final class AttentionStage extends AbstractBehavior<AttentionStage.Command> {

    public sealed interface Command extends ControlMessage {
    }

    /**
     * Runs the stage's layers (with {@code mtp}, the MTP layer's block instead) over one step: sequence
     * {@code sequenceIds[s]} brings {@code counts[s]} rows of {@code hidden} ([rows, hidden]) starting at
     * position {@code startPositions[s]} of those layers' caches.
     */
    public record RunLayers(long step, long[] sequenceIds, int[] counts, int[] startPositions, float[] hidden,
                            boolean mtp, ActorRef<StepResult> replyTo) implements Command {
    }

    /**
     * Rolls the sequence's caches of the main layers (with {@code mtp}, of the MTP block) back to {@code length}
     * positions (rejected drafts), before the step that follows. A cut the caches cannot take drops them, so
     * that step fails naming the mismatch.
     */
    public record Truncate(long sequenceId, int length, boolean mtp) implements Command {
    }

    /** The sequence is finished: its caches are dropped. */
    public record Release(long sequenceId) implements Command {
    }

    public sealed interface StepResult extends ControlMessage {
        long step();
    }

    public record LayersDone(long step, float[] hidden) implements StepResult {
    }

    public record LayersFailed(long step, String reason) implements StepResult {
    }

    private final String name;
    private final LayerStack layers;
    private final LayerStack mtp;
    private final Map<Long, KvCache[]> caches = new HashMap<>();
    private final Map<Long, KvCache[]> mtpCaches = new HashMap<>();

    /** {@code mtp}, the MTP layer's block, is null on a stage that does not host it. */
    public static Behavior<Command> create(String name, LayerStack layers, LayerStack mtp) {
        return Behaviors.setup(ctx -> new AttentionStage(ctx, name, layers, mtp));
    }

    private AttentionStage(ActorContext<Command> context, String name, LayerStack layers, LayerStack mtp) {
        super(context);
        this.name = name;
        this.layers = layers;
        this.mtp = mtp;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RunLayers.class, this::run)
                .onMessage(Truncate.class, this::truncate)
                .onMessage(Release.class, r -> {
                    caches.remove(r.sequenceId());
                    mtpCaches.remove(r.sequenceId());
                    return this;
                })
                .build();
    }

    private Behavior<Command> truncate(Truncate t) {
        Map<Long, KvCache[]> of = t.mtp() ? mtpCaches : caches;
        KvCache[] held = of.get(t.sequenceId());
        if (held == null) {
            return this;
        }
        try {
            for (KvCache cache : held) {
                cache.truncate(t.length());
            }
        } catch (IllegalArgumentException e) {
            of.remove(t.sequenceId());
            getContext().getLog().warn("stage {} dropped sequence {}: {}", name, t.sequenceId(), e.getMessage());
        }
        return this;
    }

    private Behavior<Command> run(RunLayers r) {
        if (r.mtp() && mtp == null) {
            r.replyTo().tell(new LayersFailed(r.step(), "attention stage " + name + " does not host the MTP layer"));
            return this;
        }
        LayerStack stack = r.mtp() ? mtp : layers;
        Map<Long, KvCache[]> of = r.mtp() ? mtpCaches : caches;
        int n = r.sequenceIds().length;
        KvCache[][] perSequence = new KvCache[n][];
        for (int s = 0; s < n; s++) {
            perSequence[s] = of.computeIfAbsent(r.sequenceIds()[s], id -> stack.newCaches());
        }
        try {
            stack.forward(r.hidden(), StepLayout.of(r.counts(), r.startPositions()), perSequence);
            r.replyTo().tell(new LayersDone(r.step(), r.hidden()));
        } catch (RuntimeException e) {
            // A half-run step leaves these sequences' caches inconsistent: they cannot continue.
            for (long id : r.sequenceIds()) {
                of.remove(id);
            }
            getContext().getLog().warn("stage {} failed step {}: {}", name, r.step(), e.getMessage());
            r.replyTo().tell(new LayersFailed(r.step(), "attention stage " + name + ": " + e.getMessage()));
        }
        return this;
    }
}
