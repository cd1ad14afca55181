package dev.conclave.actors;

import dev.conclave.dispatch.ExpertServer;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.IdleStrategy;

/**
 * How an expert group's pinned thread serves its DISPATCH lane: one slice of polling at a time, after which
 * the actor sends itself the next slice, so control messages still get their turn between slices.
 */
final class ServingSlices {

    private static final long SLICE_NANOS = Duration.ofMillis(2).toNanos();
    /** After this long without work the group polls once a millisecond: idle nodes must not eat the cores. */
    private static final long QUIET_NANOS = Duration.ofMillis(50).toNanos();

    private final ExpertServer server;
    private final IdleStrategy idle;
    private long lastWork = System.nanoTime();

    ServingSlices(ExpertServer server, IdleStrategy idle) {
        this.server = server;
        this.idle = idle;
    }

    void serveSlice() {
        long end = System.nanoTime() + SLICE_NANOS;
        long now;
        while ((now = System.nanoTime()) - end < 0) {
            int work = server.doWork();
            if (work > 0) {
                lastWork = now;
                idle.reset();
            } else if (now - lastWork > QUIET_NANOS) {
                LockSupport.parkNanos(1_000_000);
            } else {
                idle.idle();
            }
        }
    }
}
