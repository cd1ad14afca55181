package dev.conclave.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conclave.dispatch.DataPlane.Lane;
import dev.conclave.dispatch.DataPlane.Settings;
import dev.conclave.dispatch.LocalCluster.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class DataPlaneTest {

    /** 64 KiB terms: the largest message is 8 KiB and a receiver's window only a few of them. */
    private static final Settings SMALL_TERMS = new Settings(64 << 10, 8 << 10, Duration.ofMillis(500));

    private static UnsafeBuffer message(int length, int sequence) {
        UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        b.setMemory(0, length, (byte) sequence);
        b.putInt(0, sequence);
        return b;
    }

    @Test
    void aBackPressuredSenderWaitsForASlowReceiverAndEverythingArrivesInOrder() throws InterruptedException {
        int messages = 200;
        int length = 8000;
        try (LocalCluster c = LocalCluster.start(Transport.IPC, "bp", 2, SMALL_TERMS)) {
            AtomicInteger received = new AtomicInteger();
            List<String> errors = new ArrayList<>();
            Thread receiver = new Thread(() -> {
                while (received.get() < messages) {
                    c.plane(1).poll(Lane.DISPATCH, (buffer, offset, len, header) -> {
                        int expected = received.getAndIncrement();
                        if (len != length || buffer.getInt(offset) != expected || buffer.getByte(offset + len - 1) != (byte) expected) {
                            errors.add("message " + expected + ": length " + len + ", sequence " + buffer.getInt(offset));
                        }
                    }, 1);
                    sleepMillis(1);
                }
            });
            receiver.start();
            for (int i = 0; i < messages; i++) {
                c.plane(0).send(Lane.DISPATCH, 1, message(length, i), 0, length);
            }
            receiver.join(5_000);
            assertEquals(messages, received.get());
            assertEquals(List.of(), errors);
        }
    }

    @Test
    void aSendFailsNamingThePeerWhenItStaysBackPressuredPastTheTimeout() {
        try (LocalCluster c = LocalCluster.start(Transport.IPC, "bq", 2, SMALL_TERMS.withSendTimeout(Duration.ofMillis(200)))) {
            UnsafeBuffer m = message(8000, 1);
            DataPlaneException e = assertThrows(DataPlaneException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    c.plane(0).send(Lane.DISPATCH, 1, m, 0, 8000);
                }
            });
            assertEquals("node " + c.node(1).name() + " (ipc) is back-pressured: nothing accepted for 200 ms", e.getMessage());
        }
    }

    /** Every UDP socket this JVM holds (receivers and senders of both nodes) is bound to 127.0.0.1, none to a wildcard. */
    @Test
    void udpSocketsBindOnlyToTheConfiguredHost() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/net/udp")) && Files.isDirectory(Path.of("/proc/self/fd")));
        try (LocalCluster c = LocalCluster.start(Transport.UDP, "bind", 2, SMALL_TERMS)) {
            AtomicInteger got = new AtomicInteger();
            c.plane(0).send(Lane.DISPATCH, 1, message(64, 1), 0, 64);
            c.plane(1).send(Lane.COMBINE, 0, message(64, 2), 0, 64);
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (got.get() < 2 && System.nanoTime() < deadline) {
                c.plane(1).poll(Lane.DISPATCH, (b, o, l, h) -> got.incrementAndGet(), 1);
                c.plane(0).poll(Lane.COMBINE, (b, o, l, h) -> got.incrementAndGet(), 1);
                sleepMillis(1);
            }
            assertEquals(2, got.get());

            Set<String> ours = socketInodes();
            List<String> bound = new ArrayList<>();
            for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
                Path p = Path.of(table);
                if (!Files.isReadable(p)) {
                    continue;
                }
                List<String> lines = Files.readAllLines(p);
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    if (ours.contains(f[9])) {
                        bound.add(f[1].substring(0, f[1].indexOf(':')));
                    }
                }
            }
            assertTrue(bound.size() >= 4, "receiver and sender sockets of both nodes: " + bound);
            for (String address : bound) {
                assertTrue(address.equals("0100007F") || address.equals("0000000000000000FFFF00000100007F"), "bound to " + address);
            }
        }
    }

    private static Set<String> socketInodes() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // the fd went away between listing and reading: not a socket of ours any more
                }
            }
        }
        return inodes;
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
