package dev.conclave.actors;

import com.typesafe.config.ConfigFactory;
import dev.conclave.actors.cluster.ClusterNode;
import dev.conclave.actors.cluster.ClusterSettings;
import dev.conclave.placement.NodeSpec;
import dev.conclave.placement.Placement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A short-lived client of a running cluster: a remote-only ActorSystem (it never joins the membership)
 * that talks to the head node's orchestrator and agent at their fixed paths, over the same Kryo control
 * plane, bound to the head's host on an ephemeral port.
 */
public final class ClusterClient implements AutoCloseable {

    private final ActorSystem<Void> system;
    private final String head;

    private ClusterClient(ActorSystem<Void> system, String head) {
        this.system = system;
        this.head = head;
    }

    public static ClusterClient connect(Placement placement) {
        NodeSpec h = placement.orchestrator();
        var settings = new ClusterSettings(placement.clusterName(), h.host(), 0, null, List.of(), List.of());
        var system = ClusterNode.start(settings, ConfigFactory.parseString("""
                pekko.actor.provider = remote
                pekko.remote.warn-about-direct-use = off
                pekko.remote.warn-unsafe-watch-outside-cluster = off
                pekko.loglevel = ERROR
                """),
                Behaviors.<Void>empty());
        return new ClusterClient(system, "pekko://" + placement.clusterName() + "@" + h.host() + ":" + h.pekkoPort());
    }

    /** Sends an orchestrator request (generate or logits) and waits for its result. */
    public Orchestrator.Result ask(Function<ActorRef<Orchestrator.Result>, Orchestrator.Command> request,
                                   Duration timeout) {
        ActorRef<Orchestrator.Command> orchestrator = resolve(ConclaveNode.ORCHESTRATOR_PATH);
        return await(AskPattern.ask(orchestrator, request::apply, timeout, system.scheduler()), timeout, "orchestrator");
    }

    /** The largest message the control plane carries (Artery drops a larger one instead of failing it). */
    public long maxFrameBytes() {
        return system.settings().config().getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    }

    /** Sends an orchestrator command that has no answer. */
    public void tell(Orchestrator.Command command) {
        this.<Orchestrator.Command>resolve(ConclaveNode.ORCHESTRATOR_PATH).tell(command);
    }

    public NodeAgent.ClusterStatus status(Duration timeout) {
        ActorRef<NodeAgent.Command> agent = resolve(ConclaveNode.AGENT_PATH);
        return await(AskPattern.ask(agent, NodeAgent.GetStatus::new, timeout, system.scheduler()), timeout, "head node agent");
    }

    private <T> ActorRef<T> resolve(String path) {
        return ActorRefResolver.get(system).resolveActorRef(head + path);
    }

    private <T> T await(CompletionStage<T> answer, Duration timeout, String what) {
        try {
            return answer.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("no answer from the " + what + " at " + head + " within " + timeout
                    + " (is the cluster running?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the " + what, e);
        }
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            Thread.currentThread().interrupt();
        }
    }
}
