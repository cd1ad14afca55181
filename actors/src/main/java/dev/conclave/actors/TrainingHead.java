package dev.conclave.actors;

import dev.conclave.actors.cluster.ClusterNode;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.DataPlane;
import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.dispatch.RowsMessage;
import dev.conclave.placement.NodeSpec;
import dev.conclave.placement.Placement;
import dev.conclave.placement.PlacementValidator;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.Param;
import dev.conclave.training.loop.GrpoTrainer;
import dev.conclave.training.loop.StepRunner;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.optim.StepReport;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The head of a training run through a cluster, in the process that drives it ({@code conclave train ...
 * --cluster}): it is the placement's orchestrator node, joins the Pekko cluster and the data plane, waits
 * until the training expert group of every other node that owns routed experts has registered, begins them
 * with the optimizer settings, and then runs the {@link TrainingSupervisor}. Nodes are started with
 * {@code conclave node --train}.
 */
public final class TrainingHead implements StepRunner, AutoCloseable {

    private static final DispatcherSelector PINNED = DispatcherSelector.fromConfig("conclave.pinned-dispatcher");

    private sealed interface Event {
    }

    private record Groups(Receptionist.Listing listing) implements Event {
    }

    private record GroupReady(TrainingExpertGroup.Ready ready) implements Event {
    }

    private final Checkpoint checkpoint;
    private final DataPlane plane;
    private final ActorSystem<Event> system;
    private final ActorRef<TrainingSupervisor.Command> supervisor;
    private final TrainableModel model;
    private final Duration perMicroBatch;
    private final Duration ownerTimeout;
    private final int owners;

    private TrainingHead(Checkpoint checkpoint, DataPlane plane, ActorSystem<Event> system,
                         ActorRef<TrainingSupervisor.Command> supervisor, TrainableModel model, Duration perMicroBatch,
                         Duration ownerTimeout, int owners) {
        this.checkpoint = checkpoint;
        this.plane = plane;
        this.system = system;
        this.supervisor = supervisor;
        this.model = model;
        this.perMicroBatch = perMicroBatch;
        this.ownerTimeout = ownerTimeout;
        this.owners = owners;
    }

    /**
     * Starts the head and waits up to {@code joinTimeout} for every expert owner to be ready.
     *
     * @throws IllegalStateException naming the owners that did not come, when the timeout passes first
     */
    public static TrainingHead start(Placement placement, Path modelDir, OptimizerConfig optimizer,
                                     TrainingSupervisor.Settings settings, Parallel parallel, Duration joinTimeout) {
        Checkpoint checkpoint = Checkpoint.open(modelDir);
        DataPlane plane = null;
        ActorSystem<Event> system = null;
        try {
            ResolvedPlacement resolved = PlacementValidator.validate(placement, checkpoint.config());
            NodeSpec head = resolved.orchestrator();
            List<String> names = placement.nodeNames();
            int self = names.indexOf(head.name());
            TrainingOwners owners = new TrainingOwners(resolved);
            Set<String> expected = new TreeSet<>();
            for (int layer : resolved.moeLayers().toArray()) {
                for (int owner : owners.of(layer)) {
                    if (owner != self) {
                        expected.add(names.get(owner));
                    }
                }
            }
            plane = ConclaveNode.startDataPlane(placement, head.name());
            Duration exchangeTimeout = placement.dataPlane().stepTimeout();
            ExpertDispatcher dispatcher = new ExpertDispatcher(plane, RowsMessage.RowType.F32, exchangeTimeout);
            TrainableModel model = TrainingSupervisor.model(checkpoint, resolved, self, dispatcher, parallel);
            Optimizer own = new Optimizer(settings.rl() ? GrpoTrainer.rlParams(model) : model.trainableParams(), optimizer);
            Map<String, ActorRef<TrainingExpertGroup.Command>> ready = new ConcurrentHashMap<>();
            CompletableFuture<ActorRef<TrainingSupervisor.Command>> started = new CompletableFuture<>();
            system = ClusterNode.start(ConclaveNode.clusterSettings(placement, head),
                    coordinator(expected, names, optimizer, ready, started, model, own, settings));
            ActorRef<TrainingSupervisor.Command> supervisor;
            try {
                supervisor = started.get(joinTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                Set<String> missing = new TreeSet<>(expected);
                missing.removeAll(ready.keySet());
                throw new IllegalStateException("training expert groups of " + missing + " did not register within "
                        + joinTimeout.toSeconds() + " s; start them with `conclave node --train --config "
                        + placement.source() + " --node NAME --model DIR`");
            }
            // A micro-batch's forward and backward take two exchanges per MoE layer, each bounded by the data plane.
            Duration perMicroBatch = exchangeTimeout.multipliedBy(2L * resolved.moeLayers().size());
            return new TrainingHead(checkpoint, plane, system, supervisor, model, perMicroBatch, settings.ownerTimeout(),
                    expected.size());
        } catch (RuntimeException | InterruptedException | ExecutionException e) {
            if (system != null) {
                system.terminate();
                awaitTermination(system);
            }
            if (plane != null) {
                plane.close();
            }
            checkpoint.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /** Begins every expert group that registers, then starts the supervisor once all expected owners are ready. */
    private static Behavior<Event> coordinator(Set<String> expected, List<String> names, OptimizerConfig optimizer,
                                               Map<String, ActorRef<TrainingExpertGroup.Command>> ready,
                                               CompletableFuture<ActorRef<TrainingSupervisor.Command>> started,
                                               TrainableModel model, Optimizer own, TrainingSupervisor.Settings settings) {
        return Behaviors.setup(ctx -> {
            Set<ActorRef<TrainingExpertGroup.Command>> begun = new HashSet<>();
            ActorRef<TrainingExpertGroup.Ready> readies = ctx.messageAdapter(TrainingExpertGroup.Ready.class, GroupReady::new);
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(TrainingExpertGroup.SERVICE,
                    ctx.messageAdapter(Receptionist.Listing.class, Groups::new)));
            return Behaviors.receive(Event.class)
                    .onMessage(Groups.class, l -> {
                        for (ActorRef<TrainingExpertGroup.Command> g : l.listing().getServiceInstances(TrainingExpertGroup.SERVICE)) {
                            if (begun.add(g)) {
                                g.tell(new TrainingExpertGroup.Begin(optimizer, settings.rl(), readies));
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessage(GroupReady.class, r -> {
                        String node = r.ready().node();
                        if (!expected.contains(node)) {
                            ctx.getLog().warn("training expert group of {} owns no experts of this placement; ignored", node);
                            return Behaviors.same();
                        }
                        ready.put(node, r.ready().group());
                        if (ready.keySet().containsAll(expected) && !started.isDone()) {
                            List<TrainingSupervisor.Owner> groups = new ArrayList<>();
                            for (String n : names) {
                                if (expected.contains(n)) {
                                    groups.add(new TrainingSupervisor.Owner(n, ready.get(n)));
                                }
                            }
                            started.complete(ctx.spawn(TrainingSupervisor.create(model, own, groups, settings), "supervisor", PINNED));
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /** The supervisor's model: every param but the routed experts other nodes own. */
    public TrainableModel model() {
        return model;
    }

    /** One optimizer step over these micro-batches through the cluster. */
    @Override
    public Outcome step(List<Batch> microBatches) {
        TrainingSupervisor.StepResult r = ask(reply -> new TrainingSupervisor.TrainStep(microBatches, reply), "training step",
                perMicroBatch.multipliedBy(microBatches.size()).plus(ownerTimeout.multipliedBy(2L * owners + 1)));
        if (r instanceof TrainingSupervisor.StepFailed f) {
            throw new IllegalStateException("training step failed: " + f.reason());
        }
        return ((TrainingSupervisor.StepDone) r).outcome();
    }

    /** One optimizer step on the gradients {@code backward} accumulates on {@link #model()} (GRPO's policy loss). */
    @Override
    public StepReport step(Runnable backward) {
        TrainingSupervisor.StepResult r = ask(reply -> new TrainingSupervisor.ObjectiveStep(backward, reply), "training step",
                perMicroBatch.plus(ownerTimeout.multipliedBy(2L * owners + 1)));
        if (r instanceof TrainingSupervisor.StepFailed f) {
            throw new IllegalStateException("training step failed: " + f.reason());
        }
        return ((TrainingSupervisor.Updated) r).report();
    }

    /** Every param: the supervisor's own and copies of the other owners' experts, fetched now. */
    @Override
    public List<Param> params() {
        TrainingSupervisor.Gathered g = ask(TrainingSupervisor.Gather::new, "gathering the params", stateTimeout());
        if (g.error() != null) {
            throw new IllegalStateException("gathering the params of every owner failed: " + g.error());
        }
        return g.params();
    }

    /** Saves every owner's params and optimizer state as {@code root/checkpoint-<step>}; returns that folder. */
    @Override
    public Path save(Path root, TrainingCheckpoint.Progress progress, HfCheckpointWriter.Options options) throws IOException {
        TrainingSupervisor.Saved saved = ask(r -> new TrainingSupervisor.Save(root, progress, options, r), "checkpoint",
                stateTimeout());
        if (saved.error() != null) {
            throw new IOException("checkpoint of step " + progress.step() + " failed: " + saved.error());
        }
        return saved.checkpoint();
    }

    /** Restores every owner from a checkpoint {@link #save} wrote; returns where the run stood. */
    @Override
    public TrainingCheckpoint.Progress restore(Path checkpoint) throws IOException {
        TrainingSupervisor.Resumed resumed = ask(r -> new TrainingSupervisor.Resume(checkpoint, r), "resume", stateTimeout());
        if (resumed.error() != null) {
            throw new IOException("resume from " + checkpoint + " failed: " + resumed.error());
        }
        return resumed.progress();
    }

    /** Moving every owner's state: each chunk is one answer within the owner timeout; allow a generous number. */
    private Duration stateTimeout() {
        return ownerTimeout.multipliedBy(64L * (owners + 1));
    }

    private <R> R ask(Function<ActorRef<R>, TrainingSupervisor.Command> message, String what, Duration timeout) {
        try {
            return AskPattern.ask(supervisor, message::apply, timeout, system.scheduler()).toCompletableFuture().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + ": no answer from the supervisor within " + timeout.toSeconds()
                    + " s: " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + what, e);
        }
    }

    @Override
    public void close() {
        system.terminate();
        awaitTermination(system);
        plane.close();
        checkpoint.close();
    }

    private static void awaitTermination(ActorSystem<?> system) {
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Shutting down: the data plane and checkpoint are closed regardless.
        }
    }
}
