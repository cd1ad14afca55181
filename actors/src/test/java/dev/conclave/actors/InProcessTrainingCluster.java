package dev.conclave.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.dispatch.DataPlane;
import dev.conclave.dispatch.ExpertDispatcher;
import dev.conclave.dispatch.RowsMessage;
import dev.conclave.placement.PlacementLoader;
import dev.conclave.placement.PlacementValidator;
import dev.conclave.placement.ResolvedPlacement;
import dev.conclave.training.Param;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.loop.GrpoTrainer;
import dev.conclave.training.loop.StepRunner;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.OptimizerConfig;
import dev.conclave.training.optim.StepReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.CloseHelper;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * A training supervisor and two training expert groups in one JVM (the test kit's ActorSystem, three data plane
 * nodes over Aeron IPC on one media driver), the routed experts of every MoE layer and of the MTP layer split in
 * thirds between the head and the two groups. {@link #runner} drives the supervisor as {@link TrainingHead} does
 * a real cluster's.
 */
final class InProcessTrainingCluster implements AutoCloseable {

    private static final DispatcherSelector PINNED = DispatcherSelector.fromConfig("conclave.pinned-dispatcher");
    private static final Duration ANSWER = Duration.ofSeconds(60);
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    final Checkpoint checkpoint;
    final Parallel parallel = Parallel.create(2);
    final List<DataPlane> planes = new ArrayList<>();
    final List<TrainingSupervisor.Owner> owners = new ArrayList<>();
    final AutoCloseable driver;
    final TrainableModel head;
    final ActorRef<TrainingSupervisor.Command> supervisor;
    private final ActorTestKit kit;

    /** The cluster on {@code model}; its Aeron directory goes under {@code dir}. */
    InProcessTrainingCluster(ActorTestKit kit, Path dir, Path model, OptimizerConfig optimizer,
                             TrainingSupervisor.Settings settings) {
        this.kit = kit;
        this.checkpoint = Checkpoint.open(model);
        int id = CLUSTERS.incrementAndGet();
        Path aeron = dir.resolve("aeron-" + id);
        // Every node joins one media driver over IPC; the endpoints only satisfy the placement format.
        String conf = """
                conclave {
                  seed-nodes = [head]
                  data-plane { embedded-driver = false, driver-directory = "%s", step-timeout = 10 s }
                  nodes {
                    head { host = "127.0.0.1", pekko-port = 25590, roles = [orchestrator, attention, experts],
                           attention-layers = "all", experts = [ { layers = "all", experts = "1/3" } ],
                           aeron-endpoint = "127.0.0.1:40190" }
                    experts-a { host = "127.0.0.1", pekko-port = 25591, roles = [experts],
                                experts = [ { layers = "all", experts = "2/3" } ], aeron-endpoint = "127.0.0.1:40191" }
                    experts-b { host = "127.0.0.1", pekko-port = 25592, roles = [experts],
                                experts = [ { layers = "all", experts = "3/3" } ], aeron-endpoint = "127.0.0.1:40192" }
                  }
                }
                """.formatted(aeron);
        driver = DataPlane.launchDriver(aeron.toString());
        ResolvedPlacement placement = PlacementValidator.validate(PlacementLoader.parse(conf, "train-3.conf"),
                checkpoint.config());
        List<String> names = placement.placement().nodeNames();
        List<DataPlane.Node> nodes = names.stream().map(n -> DataPlane.Node.ipc(n + "-" + id)).toList();
        for (int i = 0; i < nodes.size(); i++) {
            planes.add(DataPlane.connect(nodes, i, aeron.toString(), DataPlane.Settings.DEFAULT));
        }
        TrainingOwners owned = new TrainingOwners(placement);
        TestProbe<TrainingExpertGroup.Ready> ready = kit.createTestProbe();
        for (int i = 1; i < names.size(); i++) {
            var group = kit.spawn(TrainingExpertGroup.create(new TrainingExpertGroup.Setup(names.get(i), i, checkpoint,
                    owned, planes.get(i), Parallel.serial())), "training-" + names.get(i) + "-" + id, PINNED);
            group.tell(new TrainingExpertGroup.Begin(optimizer, settings.rl(), ready.ref()));
            if (!names.get(i).equals(ready.receiveMessage(Duration.ofSeconds(30)).node())) {
                throw new IllegalStateException("expert group " + names.get(i) + " answered for another node");
            }
            owners.add(new TrainingSupervisor.Owner(names.get(i), group));
        }
        ExpertDispatcher dispatcher = new ExpertDispatcher(planes.getFirst(), RowsMessage.RowType.F32, Duration.ofSeconds(10));
        head = TrainingSupervisor.model(checkpoint, placement, 0, dispatcher, parallel);
        List<Param> trained = settings.rl() ? GrpoTrainer.rlParams(head) : head.trainableParams();
        supervisor = kit.spawn(TrainingSupervisor.create(head, new Optimizer(trained, optimizer), owners, settings),
                "supervisor-" + id, PINNED);
    }

    /** An owner's master weights, fetched through the state protocol. */
    Map<String, double[]> ownerValues(TrainingSupervisor.Owner owner) throws IOException {
        TestProbe<TrainingExpertGroup.StateChunk> probe = kit.createTestProbe();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int count = 1;
        for (int i = 0; i < count; i++) {
            owner.group().tell(new TrainingExpertGroup.GetState(i, probe.ref()));
            TrainingExpertGroup.StateChunk chunk = probe.receiveMessage(Duration.ofSeconds(10));
            count = chunk.count();
            bytes.writeBytes(chunk.bytes());
        }
        return TrainingExperts.values(bytes.toByteArray(), owner.node());
    }

    /** The supervisor as the trainers' step runner. */
    StepRunner runner() {
        return new StepRunner() {
            @Override
            public Outcome step(List<Batch> microBatches) {
                TestProbe<TrainingSupervisor.StepResult> probe = kit.createTestProbe();
                supervisor.tell(new TrainingSupervisor.TrainStep(microBatches, probe.ref()));
                return done(probe.receiveMessage(ANSWER), TrainingSupervisor.StepDone.class).outcome();
            }

            @Override
            public StepReport step(Runnable backward) {
                TestProbe<TrainingSupervisor.StepResult> probe = kit.createTestProbe();
                supervisor.tell(new TrainingSupervisor.ObjectiveStep(backward, probe.ref()));
                return done(probe.receiveMessage(ANSWER), TrainingSupervisor.Updated.class).report();
            }

            @Override
            public List<Param> params() {
                TestProbe<TrainingSupervisor.Gathered> probe = kit.createTestProbe();
                supervisor.tell(new TrainingSupervisor.Gather(probe.ref()));
                TrainingSupervisor.Gathered g = probe.receiveMessage(ANSWER);
                if (g.error() != null) {
                    throw new IllegalStateException("gather failed: " + g.error());
                }
                return g.params();
            }

            @Override
            public Path save(Path root, TrainingCheckpoint.Progress progress, HfCheckpointWriter.Options options)
                    throws IOException {
                TestProbe<TrainingSupervisor.Saved> probe = kit.createTestProbe();
                supervisor.tell(new TrainingSupervisor.Save(root, progress, options, probe.ref()));
                TrainingSupervisor.Saved s = probe.receiveMessage(ANSWER);
                if (s.error() != null) {
                    throw new IOException("save failed: " + s.error());
                }
                return s.checkpoint();
            }

            @Override
            public TrainingCheckpoint.Progress restore(Path checkpoint) throws IOException {
                TestProbe<TrainingSupervisor.Resumed> probe = kit.createTestProbe();
                supervisor.tell(new TrainingSupervisor.Resume(checkpoint, probe.ref()));
                TrainingSupervisor.Resumed r = probe.receiveMessage(ANSWER);
                if (r.error() != null) {
                    throw new IOException("resume failed: " + r.error());
                }
                return r.progress();
            }
        };
    }

    private static <T extends TrainingSupervisor.StepResult> T done(TrainingSupervisor.StepResult r, Class<T> type) {
        if (r instanceof TrainingSupervisor.StepFailed f) {
            throw new IllegalStateException("training step failed: " + f.reason());
        }
        return type.cast(r);
    }

    /** A cluster's result against the single JVM's: rel 1e-5 (the experts' rows travel as F32). */
    static void assertRelative(double expected, double actual, String what) {
        assertTrue(Math.abs(actual - expected) <= 1e-5 * Math.abs(expected), what + ": expected " + expected + ", got " + actual);
    }

    /** A cluster's tensor against the single JVM's: rel-L2 1e-5. */
    static void assertRelativeL2(double[] expected, double[] actual, String what) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        assertTrue(Math.sqrt(diff) <= 1e-5 * Math.sqrt(norm), what + ": rel-L2 " + Math.sqrt(diff / norm));
    }

    @Override
    public void close() throws Exception {
        kit.stop(supervisor);
        owners.forEach(o -> kit.stop(o.group()));
        CloseHelper.closeAll(planes.reversed());
        driver.close();
        parallel.close();
        checkpoint.close();
    }
}
