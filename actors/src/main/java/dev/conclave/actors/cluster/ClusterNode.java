package dev.conclave.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.stream.StreamSupport;

/** Starts a cluster node's ActorSystem and waits for the cluster to form. */
public final class ClusterNode {

    private static final long POLL_MILLIS = 50;

    private ClusterNode() {
    }

    /** Starts the node; it joins its seed nodes in the background. */
    public static <T> ActorSystem<T> start(ClusterSettings settings, Behavior<T> guardian) {
        return start(settings, ConfigFactory.empty(), guardian);
    }

    /** As {@link #start(ClusterSettings, Behavior)}, with {@link ClusterSettings#toConfig(Config) overrides}. */
    public static <T> ActorSystem<T> start(ClusterSettings settings, Config overrides, Behavior<T> guardian) {
        return ActorSystem.create(guardian, settings.systemName(), settings.toConfig(overrides));
    }

    /**
     * Blocks until {@code system} sees at least {@code members} cluster members Up, itself included.
     *
     * @throws TimeoutException naming the members it does see, when {@code timeout} passes first
     */
    public static void awaitMembers(ActorSystem<?> system, int members, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (upMembers(system) < members) {
            if (System.nanoTime() - deadline >= 0) {
                throw new TimeoutException(system.name() + "@" + system.address() + " sees " + upMembers(system)
                        + " of " + members + " members Up after " + timeout + ": "
                        + Cluster.get(system).state().getMembers());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static long upMembers(ActorSystem<?> system) {
        Iterable<Member> members = Cluster.get(system).state().getMembers();
        return StreamSupport.stream(members.spliterator(), false)
                .filter(member -> member.status() == MemberStatus.up())
                .count();
    }
}
