package dev.conclave.actors;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.training.Param;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.loop.GrpoTrainer;
import dev.conclave.training.loop.StepRunner;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.nn.ParamSet;
import dev.conclave.training.nn.SwiGlu;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.StepReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    /**
     * One optimizer step on the gradients {@code backward} accumulates on the supervisor's model by a forward and
     * backward of its own (GRPO's policy loss); the router biases stay as they are.
     */
    public record ObjectiveStep(Runnable backward, ActorRef<StepResult> replyTo) implements Command {
    }

    public sealed interface StepResult {
    }

    /** The step's losses summed over its micro-batches, the update it made and the expert loads. */
    public record StepDone(StepRunner.Outcome outcome) implements StepResult {
    }

    /** The update an {@link ObjectiveStep} made. */
    public record Updated(StepReport report) implements StepResult {
    }

    /** The step failed; owners may hold its partial gradients, so the run ends here. */
    public record StepFailed(String reason) implements StepResult {
    }

    /** Asks for every param of the model with its current value, the other owners' experts fetched. */
    public record Gather(ActorRef<Gathered> replyTo) implements Command {
    }

    /** Every param (copies for the experts other nodes own), or null and the reason it failed. */
    public record Gathered(List<Param> params, String error) {
    }

    /** Saves a checkpoint of every owner's params and optimizer state into {@code root/checkpoint-<step>}. */
    public record Save(Path root, TrainingCheckpoint.Progress progress, HfCheckpointWriter.Options options,
                       ActorRef<Saved> replyTo) implements Command {
    }

    /** The checkpoint folder, or null and the reason it failed. */
    public record Saved(Path checkpoint, String error) {
    }

    /** Restores every owner from a checkpoint {@link Save} wrote. */
    public record Resume(Path checkpoint, ActorRef<Resumed> replyTo) implements Command {
    }

    /** Where the saved run stood, or null and the reason it failed. */
    public record Resumed(TrainingCheckpoint.Progress progress, String error) {
    }

    /** An expert group and the placement node it runs on. */
    public record Owner(String node, ActorRef<TrainingExpertGroup.Command> group) {
    }

    /**
     * The objective's weights, the loss-free bias rate, how long an owner may take to answer, and whether the run
     * is RL, whose owners update only {@link GrpoTrainer#rlParams} (the MTP layer frozen).
     */
    public record Settings(TrainableModel.LossWeights weights, double biasUpdateRate, Duration ownerTimeout, boolean rl) {

        /** Supervised training: every trainable param is updated. */
        public Settings(TrainableModel.LossWeights weights, double biasUpdateRate, Duration ownerTimeout) {
            this(weights, biasUpdateRate, ownerTimeout, false);
        }

        /** RL (GRPO): no balance or MTP loss, no bias update, the MTP layer frozen. */
        public static Settings rl(Duration ownerTimeout) {
            return new Settings(new TrainableModel.LossWeights(0, 0), 0, ownerTimeout, true);
        }
    }

    private final TrainableModel model;
    private final Optimizer optimizer;
    private final List<Owner> owners;
    private final List<Param> everyParam;
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
     * @param optimizer over {@code model.trainableParams()}, or its {@link GrpoTrainer#rlParams} for RL
     * @param owners    the expert groups of every other node that owns routed experts, in placement order
     */
    public static Behavior<Command> create(TrainableModel model, Optimizer optimizer, List<Owner> owners, Settings settings) {
        return Behaviors.setup(ctx -> new TrainingSupervisor(ctx, model, optimizer, owners, settings));
    }

    private TrainingSupervisor(ActorContext<Command> context, TrainableModel model, Optimizer optimizer, List<Owner> owners,
                               Settings settings) {
        super(context);
        this.model = model;
        this.optimizer = optimizer;
        this.owners = List.copyOf(owners);
        this.settings = settings;
        this.everyParam = new ArrayList<>(model.params());
        everyParam.addAll(ownedElsewhere(model));
    }

    /**
     * Copies of the routed experts the model's MoE blocks do not hold (other nodes own them), under their HF
     * names: a checkpoint gathers their values here, so that it holds every tensor of the model.
     */
    private static List<Param> ownedElsewhere(TrainableModel model) {
        ModelConfig c = model.config();
        Set<String> here = new HashSet<>();
        model.params().forEach(p -> here.add(p.name()));
        ParamSet copies = new ParamSet();
        for (int layer = 0; layer <= c.numHiddenLayers(); layer++) {
            boolean moe = layer == c.mtpLayerIndex() ? model.hasMtp() : c.isMoeLayer(layer);
            for (int e = 0; moe && e < c.nRoutedExperts(); e++) {
                String prefix = "model.layers." + layer + ".mlp.experts." + e + ".";
                if (!here.contains(prefix + "gate_proj.weight")) {
                    new SwiGlu(copies, prefix, c.hiddenSize(), c.moeIntermediateSize());
                }
            }
        }
        return copies.all();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(TrainStep.class, this::trainStep)
                .onMessage(ObjectiveStep.class, this::objectiveStep)
                .onMessage(Gather.class, this::gather)
                .onMessage(Save.class, this::save)
                .onMessage(Resume.class, this::resume)
                .build();
    }

    private Behavior<Command> trainStep(TrainStep t) {
        try {
            t.replyTo().tell(step(t.microBatches()));
        } catch (RuntimeException e) {
            // The step's gradients are partial on some owners: the driver ends the run with this reason.
            t.replyTo().tell(new StepFailed(e.toString()));
        }
        return this;
    }

    private Behavior<Command> objectiveStep(ObjectiveStep o) {
        try {
            o.backward().run();
            StepReport report = update();
            model.updateRouterBias(0);
            o.replyTo().tell(new Updated(report));
        } catch (RuntimeException e) {
            o.replyTo().tell(new StepFailed(e.toString()));
        }
        return this;
    }

    private StepDone step(List<Batch> micro) {
        return new StepDone(StepRunner.run(model, micro, settings.weights(), settings.biasUpdateRate(), this::update));
    }

    /** The global norm from every owner's squared sum; every owner steps at it, and the gradients are zeroed. */
    private StepReport update() {
        double squared = optimizer.gradSquaredSum();
        String firstNonFinite = optimizer.nonFiniteParam();
        for (Owner owner : owners) {
            TrainingExpertGroup.GradShare share = ask(owner, TrainingExpertGroup.GetGradShare::new);
            squared += share.squaredSum();
            firstNonFinite = firstNonFinite != null ? firstNonFinite : share.nonFiniteParam();
        }
        double norm = Math.sqrt(squared);
        String nonFinite = firstNonFinite;
        for (Owner owner : owners) {
            TrainingExpertGroup.StepApplied applied = ask(owner, r -> new TrainingExpertGroup.ApplyStep(norm, nonFinite, r));
            if (applied.stepsTaken() != optimizer.stepsTaken() + (nonFinite == null ? 1 : 0)) {
                throw new IllegalStateException("expert group " + applied.node() + " is at optimizer step " + applied.stepsTaken()
                        + ", the supervisor at " + optimizer.stepsTaken() + ": the owners are out of step");
            }
        }
        StepReport report = optimizer.step(norm, nonFinite);
        model.zeroGrad();
        return report;
    }

    private Behavior<Command> gather(Gather g) {
        try {
            gatherStates();
            g.replyTo().tell(new Gathered(List.copyOf(everyParam), null));
        } catch (IOException | RuntimeException e) {
            g.replyTo().tell(new Gathered(null, e.toString()));
        }
        return this;
    }

    /** Copies every owner's master weights into {@link #everyParam}; returns each owner's exact state by file name. */
    private Map<String, byte[]> gatherStates() throws IOException {
        Map<String, byte[]> states = new LinkedHashMap<>();
        Map<String, Param> byName = new HashMap<>();
        everyParam.forEach(p -> byName.put(p.name(), p));
        for (Owner owner : owners) {
            byte[] state = fetchState(owner);
            for (Map.Entry<String, double[]> v : TrainingExperts.values(state, "state of node " + owner.node()).entrySet()) {
                System.arraycopy(v.getValue(), 0, byName.get(v.getKey()).value(), 0, v.getValue().length);
            }
            states.put(ownerFile(owner), state);
        }
        return states;
    }

    /**
     * Gathers every owner's state: its master weights go into the checkpoint's HF tensors and master weights
     * beside the supervisor's own, its exact state (weights and optimizer moments) into {@code owner-<node>.bin}.
     */
    private Behavior<Command> save(Save s) {
        try {
            Map<String, byte[]> states = gatherStates();
            s.replyTo().tell(new Saved(TrainingCheckpoint.save(s.root(), model.config(), everyParam, optimizer, s.progress(),
                    s.options(), states), null));
        } catch (IOException | RuntimeException e) {
            s.replyTo().tell(new Saved(null, e.toString()));
        }
        return this;
    }

    private byte[] fetchState(Owner owner) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int count = 1;
        for (int i = 0; i < count; i++) {
            int index = i;
            TrainingExpertGroup.StateChunk chunk = ask(owner, r -> new TrainingExpertGroup.GetState(index, r));
            count = chunk.count();
            bytes.writeBytes(chunk.bytes());
        }
        return bytes.toByteArray();
    }

    /** The supervisor's params and optimizer from the checkpoint's training state, each owner's from its file. */
    private Behavior<Command> resume(Resume r) {
        try {
            TrainingCheckpoint.Progress progress = TrainingCheckpoint.restore(r.checkpoint(), everyParam, optimizer);
            for (Owner owner : owners) {
                Path file = r.checkpoint().resolve(ownerFile(owner));
                if (!Files.isRegularFile(file)) {
                    throw new IOException(file + ": missing; the checkpoint holds no state for node " + owner.node());
                }
                byte[] state = Files.readAllBytes(file);
                int count = Math.max(1, (state.length + TrainingExpertGroup.CHUNK_BYTES - 1) / TrainingExpertGroup.CHUNK_BYTES);
                for (int i = 0; i < count; i++) {
                    int index = i;
                    byte[] chunk = Arrays.copyOfRange(state, Math.min(state.length, i * TrainingExpertGroup.CHUNK_BYTES),
                            Math.min(state.length, (i + 1) * TrainingExpertGroup.CHUNK_BYTES));
                    TrainingExpertGroup.Restored done = ask(owner, x -> new TrainingExpertGroup.RestoreState(index, count, chunk, x));
                    if (done.error() != null) {
                        throw new IOException(file + ": " + done.error());
                    }
                    if (index == count - 1 && done.stepsTaken() != optimizer.stepsTaken()) {
                        throw new IOException(file + ": node " + owner.node() + " restored optimizer step " + done.stepsTaken()
                                + ", the supervisor's state is at " + optimizer.stepsTaken());
                    }
                }
            }
            r.replyTo().tell(new Resumed(progress, null));
        } catch (IOException | RuntimeException e) {
            r.replyTo().tell(new Resumed(null, e.toString()));
        }
        return this;
    }

    private static String ownerFile(Owner owner) {
        return "owner-" + owner.node().replaceAll("[^A-Za-z0-9._-]", "_") + ".bin";
    }

    private <R> R ask(Owner owner, Function<ActorRef<R>, TrainingExpertGroup.Command> message) {
        try {
            return AskPattern.ask(owner.group(), message::apply, settings.ownerTimeout(), getContext().getSystem().scheduler())
                    .toCompletableFuture().get(settings.ownerTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("expert group of " + owner.node() + " did not answer within "
                    + settings.ownerTimeout().toMillis() + " ms: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the expert group of " + owner.node(), e);
        }
    }
}
