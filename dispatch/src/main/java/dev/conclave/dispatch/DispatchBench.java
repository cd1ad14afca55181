package dev.conclave.dispatch;

import dev.conclave.dispatch.DataPlane.Lane;
import dev.conclave.dispatch.DataPlane.Settings;
import dev.conclave.dispatch.LocalCluster.Transport;
import dev.conclave.dispatch.RowsMessage.RowType;
import dev.conclave.router.DispatchPlan;
import io.aeron.FragmentAssembler;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Times one MoE layer's dispatch + combine as an attention stage sees it: top-k rows of random
 * routing sent to the remote peers that host the experts (identity compute), over Aeron IPC and over
 * Aeron UDP on loopback, peers in this JVM on their own threads. Next to it, in the same run: raw
 * Aeron one-way throughput, and a plain TCP socket echoing the same bytes per peer and streaming the
 * same one-way messages.
 */
public final class DispatchBench {

    /**
     * @param perCase            how long each (transport, tokens) case is timed, after a warm-up of a third of it
     * @param throughputMessages one-way messages per throughput case
     */
    public record Options(int hidden, int experts, int k, int[] tokens, int peers, Duration perCase,
                          int throughputMessages, int throughputBytes, Settings settings) {

        /** The bench model's MoE layer (hidden 1024, 64 experts, top-8) split over 2 peers; 64 KiB one-way messages. */
        public static Options defaults() {
            return new Options(1024, 64, 8, new int[] {1, 8, 64, 256}, 2, Duration.ofSeconds(1), 4096, 64 << 10, Settings.DEFAULT);
        }
    }

    /**
     * One measured case. For round trips {@code bytes} counts the rows' floats out and back and
     * MB/s is bytes / p50; for one-way streams it is the message size and MB/s the sustained rate.
     */
    public record Row(String transport, String measure, int tokens, long bytes, int samples,
                      double p50Micros, double p99Micros, double megabytesPerSecond) {
    }

    private DispatchBench() {
    }

    public static List<Row> run(Options o) {
        List<Row> rows = new ArrayList<>();
        for (Transport transport : Transport.values()) {
            String name = "aeron-" + transport.name().toLowerCase();
            try (LocalCluster c = LocalCluster.start(transport, "bench-" + transport.name().toLowerCase(), o.peers() + 1, o.settings())) {
                rows.add(aeronOneWay(c, name, o));
                for (int n = 1; n <= o.peers(); n++) {
                    c.serve(n, (layer, blocks, in, out, hidden) -> System.arraycopy(in, 0, out, 0, blocks.totalRows() * hidden),
                            Throwable::printStackTrace);
                }
                ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), RowType.F32, Duration.ofSeconds(10));
                long[] step = {0};
                for (int tokens : o.tokens()) {
                    DispatchPlan plan = randomPlan(tokens, o.experts(), o.k(), tokens);
                    float[] m = new float[tokens * o.hidden()];
                    Arrays.fill(m, 1f);
                    float[] grouped = new float[tokens * o.k() * o.hidden()];
                    int[] peerOfExpert = peerOfExpert(o);
                    long[] samples = time(o.perCase(), () -> {
                        dispatcher.dispatch(++step[0], 1, plan, m, o.hidden(), peerOfExpert);
                        dispatcher.combine(grouped);
                    });
                    rows.add(roundTripRow(name, "dispatch+combine", tokens, 2L * tokens * o.k() * o.hidden() * Float.BYTES, samples));
                }
            }
        }
        try (TcpBaseline tcp = new TcpBaseline(o.peers())) {
            for (int tokens : o.tokens()) {
                int[] bytes = messageBytesPerPeer(randomPlan(tokens, o.experts(), o.k(), tokens), o);
                long[] samples = time(o.perCase(), () -> tcp.roundTrip(bytes));
                rows.add(roundTripRow("tcp", "echo, same bytes", tokens, 2L * tokens * o.k() * o.hidden() * Float.BYTES, samples));
            }
            tcp.oneWay(o.throughputMessages() / 4, o.throughputBytes());
            long ns = tcp.oneWay(o.throughputMessages(), o.throughputBytes());
            rows.add(oneWayRow("tcp", o, ns));
        }
        return rows;
    }

    /** Experts split into contiguous ranges, one per peer (nodes 1..peers). */
    private static int[] peerOfExpert(Options o) {
        int[] peer = new int[o.experts()];
        for (int e = 0; e < o.experts(); e++) {
            peer[e] = 1 + e * o.peers() / o.experts();
        }
        return peer;
    }

    /** What a DISPATCH to each peer would weigh unchunked, to echo the same bytes over TCP. */
    private static int[] messageBytesPerPeer(DispatchPlan plan, Options o) {
        int[] peerOf = peerOfExpert(o);
        int[] bytes = new int[o.peers()];
        for (int p = 1; p <= o.peers(); p++) {
            int experts = 0;
            int rows = 0;
            for (int e = 0; e < o.experts(); e++) {
                if (peerOf[e] == p && plan.load(e) > 0) {
                    experts++;
                    rows += plan.load(e);
                }
            }
            bytes[p - 1] = RowsMessage.length(experts, rows, o.hidden(), RowType.F32);
        }
        return bytes;
    }

    /** Node 0 streams messages to node 1's DISPATCH lane, which a thread of node 1 drains. */
    private static Row aeronOneWay(LocalCluster c, String name, Options o) {
        UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(o.throughputBytes()));
        AtomicLong received = new AtomicLong();
        AtomicLong lastArrival = new AtomicLong();
        long total = o.throughputMessages() / 4 + o.throughputMessages();
        Thread drain = Thread.ofPlatform().name("bench-drain").start(() -> {
            IdleStrategy idle = DataPlane.idleStrategy();
            FragmentAssembler assembler = new FragmentAssembler((buffer, offset, length, header) -> {
                received.incrementAndGet();
                lastArrival.set(System.nanoTime());
            });
            while (received.get() < total) {
                idle.idle(c.plane(1).poll(Lane.DISPATCH, assembler, 64));
            }
        });
        for (int i = 0; i < o.throughputMessages() / 4; i++) {
            c.plane(0).send(Lane.DISPATCH, 1, message, 0, message.capacity());
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < o.throughputMessages(); i++) {
            c.plane(0).send(Lane.DISPATCH, 1, message, 0, message.capacity());
        }
        try {
            drain.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return oneWayRow(name, o, lastArrival.get() - t0);
    }

    private static Row oneWayRow(String transport, Options o, long nanos) {
        double mbs = (double) o.throughputMessages() * o.throughputBytes() / (nanos / 1e9) / 1e6;
        return new Row(transport, "one-way " + (o.throughputBytes() >> 10) + " KiB", 0, o.throughputBytes(), o.throughputMessages(),
                Double.NaN, Double.NaN, mbs);
    }

    private static Row roundTripRow(String transport, String measure, int tokens, long bytes, long[] samples) {
        Arrays.sort(samples);
        double p50 = samples[(samples.length - 1) / 2] / 1e3;
        double p99 = samples[(int) Math.ceil(samples.length * 0.99) - 1] / 1e3;
        return new Row(transport, measure, tokens, bytes, samples.length, p50, p99, bytes / p50);
    }

    /** Runs {@code op} for a third of {@code budget} to warm up, then times each run for the rest (at least 5). */
    private static long[] time(Duration budget, Runnable op) {
        long warmEnd = System.nanoTime() + budget.toNanos() / 3;
        while (System.nanoTime() < warmEnd) {
            op.run();
        }
        long[] samples = new long[1024];
        int n = 0;
        long end = System.nanoTime() + budget.toNanos() * 2 / 3;
        while (n < 5 || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            op.run();
            if (n == samples.length) {
                samples = Arrays.copyOf(samples, 2 * n);
            }
            samples[n++] = System.nanoTime() - t0;
        }
        return Arrays.copyOf(samples, n);
    }

    /** Each token picks {@code k} distinct experts uniformly, with random weights: a router's plan without a model. */
    static DispatchPlan randomPlan(int tokens, int experts, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DispatchPlan plan = new DispatchPlan(experts, k);
        plan.reset(tokens);
        int[] ids = new int[experts];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) {
                ids[e] = e;
            }
            for (int s = 0; s < k; s++) {
                int j = s + r.nextInt(experts - s);
                int e = ids[j];
                ids[j] = ids[s];
                ids[s] = e;
                plan.set(t, s, e, r.nextFloat());
            }
        }
        plan.group();
        return plan;
    }

    /** The rows as a fixed-width table. */
    public static String table(List<Row> rows) {
        StringBuilder s = new StringBuilder(String.format("%-10s %-18s %6s %12s %8s %10s %10s %10s%n",
                "transport", "measure", "tokens", "bytes", "samples", "p50 µs", "p99 µs", "MB/s"));
        for (Row r : rows) {
            s.append(String.format("%-10s %-18s %6s %12d %8d %10s %10s %10.0f%n", r.transport(), r.measure(),
                    r.tokens() == 0 ? "-" : Integer.toString(r.tokens()), r.bytes(), r.samples(),
                    Double.isNaN(r.p50Micros()) ? "-" : String.format("%.1f", r.p50Micros()),
                    Double.isNaN(r.p99Micros()) ? "-" : String.format("%.1f", r.p99Micros()), r.megabytesPerSecond()));
        }
        return s.toString();
    }
}
