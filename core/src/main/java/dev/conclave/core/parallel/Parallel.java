package dev.conclave.core.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of compute threads that split a range of work with the calling thread.
 *
 * <p>Decode runs ~60 parallel regions per token, each a few tens of microseconds long, so handing work
 * to an executor (a queue, a future, a wake-up) would cost as much as the work. Workers instead spin
 * briefly on a generation counter and park only when no work has come for a while.
 */
public final class Parallel implements AutoCloseable {

    /** A body that processes the half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private volatile int generation;
    private volatile boolean closed;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile RangeBody body;
    private volatile int n;
    private volatile int grain;
    private volatile Throwable failure;

    private Parallel(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("conclave-compute-" + index).unstarted(() -> work(index));
            workers[i].start();
        }
    }

    public static Parallel create(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        return new Parallel(threads);
    }

    /** A single-threaded instance; ranges run on the caller. */
    public static Parallel serial() {
        return new Parallel(1);
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, n)} split into contiguous chunks, one per thread. */
    public void forRange(int n, RangeBody body) {
        forRange(n, 1, body);
    }

    /**
     * As {@link #forRange(int, RangeBody)}, with chunk boundaries on multiples of {@code grain} so that
     * kernels that process several rows at a time keep their blocks whole. Stages that share one device
     * (an attention stage and an expert group on the same CPU) take turns: one region at a time.
     */
    public synchronized void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int active = Math.min(threads, (n + grain - 1) / grain);
        if (active <= 1) {
            body.run(0, n);
            return;
        }
        this.body = body;
        this.n = n;
        this.grain = grain;
        this.failure = null;
        pending.set(threads - 1);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        runChunk(body, 0, n, grain);
        while (pending.get() > 0) {
            Thread.onSpinWait();
        }
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    private void runChunk(RangeBody b, int index, int total, int g) {
        int blocks = (total + g - 1) / g;
        int from = (int) ((long) blocks * index / threads) * g;
        int to = Math.min(total, (int) ((long) blocks * (index + 1) / threads) * g);
        if (from < to) {
            b.run(from, to);
        }
    }

    private void work(int index) {
        int seen = 0;
        while (true) {
            long idleSince = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 1_000_000);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                runChunk(body, index, n, grain);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
