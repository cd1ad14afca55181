package dev.conclave.actors;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.StepReport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The training supervisor on the head node. It owns everything of the model but the routed experts other
 * nodes own (attention, norms, routers, shared experts, dense layers, embedding, head, MTP glue, and the
 * experts the placement gives its own node) as the single-JVM {@link TrainableModel}, whose MoE blocks reach
 * the other owners' {@link TrainingExpertGroup}s over the data plane in both directions. Per optimizer step:
 * every micro-batch forward and backward, then the global gradient norm from every owner's squared sum
 * (clipping is global), then each owner applies its own optimizer step at that norm, then the loss-free
 * router bias update. Its thread blocks on the data plane and on the owners' replies, so it runs pinned.
 *
 * <p>Its protocol is local to the head's JVM (the training driver runs there), so it is not a control message.
 */
public final class TrainingSupervisor extends AbstractBehavior<TrainingSupervisor.Command> {

    public sealed interface Command {
    }

    /** One optimizer step over these micro-batches (their token counts are the step's denominators). */
    public record TrainStep(List<Batch> microBatches, ActorRef<StepResult> replyTo) implements Command {
    }

    public sealed interface StepResult {
    }

    /** The step's losses summed over its micro-batches, as {@code SftTrainer} logs them, and the update it made. */
    public record StepDone(long step, double loss, double ce, double mtpLoss, double auxLoss, double gradNorm, double lr,
                           boolean skipped) implements StepResult {
    }

    public record StepFailed(String reason) implements StepResult {
    }

    /** The objective's weights, the loss-free bias rate, and how long an owner may take to answer. */
    public record Settings(TrainableModel.LossWeights weights, double biasUpdateRate, Duration ownerTimeout) {
    }

    private final TrainableModel model;
    private final Optimizer optimizer;
    private final List<ActorRef<TrainingExpertGroup.Command>> owners;
    private final Settings settings;

    /**
     * The supervisor's model on node {@code self}: every param but the routed experts other nodes own, read from
     * the checkpoint; MoE blocks dispatch to those owners through {@code dispatcher}.
     */
    public static TrainableModel model(Checkpoint checkpoint, ResolvedPlacement placement, int self,
                                       ExpertDispatcher dispatcher, Parallel parallel) {
        return TrainableModel.load(checkpoint, parallel,
                AeronTrainingExperts.factory(dispatcher, new TrainingOwners(placement), self));
    }

    /**
     * @param optimizer over {@code model.params()}
     * @param owners    the expert groups of every other node that owns routed experts
     */
    public static Behavior<Command> create(TrainableModel model, Optimizer optimizer,
                                           List<ActorRef<TrainingExpertGroup.Command>> owners, Settings settings) {
        return Behaviors.setup(ctx -> new TrainingSupervisor(ctx, model, optimizer, owners, settings));
    }

    private TrainingSupervisor(ActorContext<Command> context, TrainableModel model, Optimizer optimizer,
                               List<ActorRef<TrainingExpertGroup.Command>> owners, Settings settings) {
        super(context);
        this.model = model;
        this.optimizer = optimizer;
        this.owners = List.copyOf(owners);
        this.settings = settings;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessage(TrainStep.class, this::trainStep).build();
    }

    private Behavior<Command> trainStep(TrainStep t) {
        try {
            t.replyTo().tell(step(t.microBatches()));
        } catch (RuntimeException e) {
            // The step's gradients are partial: drop them everywhere so that a retried step starts clean.
            model.zeroGrad();
            t.replyTo().tell(new StepFailed(e.toString()));
        }
        return this;
    }

    private StepDone step(List<Batch> micro) {
        TrainableModel.StepTotals totals = TrainableModel.StepTotals.of(micro);
        double loss = 0, ce = 0, mtp = 0, aux = 0;
        for (Batch b : micro) {
            TrainableModel.Losses l = model.lossAndBackward(b, settings.weights(), totals);
            loss += l.total();
            ce += l.ce();
            mtp += l.mtpLoss();
            aux += l.auxLoss();
        }
        double squared = optimizer.gradSquaredSum();
        String firstNonFinite = optimizer.nonFiniteParam();
        for (ActorRef<TrainingExpertGroup.Command> owner : owners) {
            TrainingExpertGroup.GradShare share = ask(owner, TrainingExpertGroup.GetGradShare::new);
            squared += share.squaredSum();
            firstNonFinite = firstNonFinite != null ? firstNonFinite : share.nonFiniteParam();
        }
        double norm = Math.sqrt(squared);
        String nonFinite = firstNonFinite;
        for (ActorRef<TrainingExpertGroup.Command> owner : owners) {
            TrainingExpertGroup.StepApplied applied = ask(owner, r -> new TrainingExpertGroup.ApplyStep(norm, nonFinite, r));
            if (applied.stepsTaken() != optimizer.stepsTaken() + (nonFinite == null ? 1 : 0)) {
                throw new IllegalStateException("expert group " + applied.node() + " is at optimizer step " + applied.stepsTaken()
                        + ", the supervisor at " + optimizer.stepsTaken() + ": the owners are out of step");
            }
        }
        StepReport report = optimizer.step(norm, nonFinite);
        model.zeroGrad();
        model.updateRouterBias(settings.biasUpdateRate());
        return new StepDone(report.step(), loss, ce, mtp, aux, report.gradNorm(), report.lr(), report.skipped());
    }

    private <R> R ask(ActorRef<TrainingExpertGroup.Command> owner,
                      Function<ActorRef<R>, TrainingExpertGroup.Command> message) {
        try {
            return AskPattern.ask(owner, message::apply, settings.ownerTimeout(), getContext().getSystem().scheduler())
                    .toCompletableFuture().get(settings.ownerTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("expert group " + owner.path() + " did not answer within "
                    + settings.ownerTimeout().toMillis() + " ms: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for expert group " + owner.path(), e);
        }
    }
}
