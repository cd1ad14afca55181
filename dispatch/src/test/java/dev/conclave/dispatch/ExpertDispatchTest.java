package dev.conclave.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.tensor.BFloat16;
import dev.conclave.dispatch.DataPlane.Settings;
import dev.conclave.dispatch.LocalCluster.Transport;
import dev.conclave.dispatch.RowsMessage.RowType;
import dev.conclave.router.DispatchPlan;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Dispatch and combine between data plane nodes in one JVM; node 0 is the attention stage. */
@Timeout(10)
class ExpertDispatchTest {

    private static final Settings SETTINGS = new Settings(1 << 20, 8 << 10, Duration.ofMillis(500));
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(3);

    private final List<Throwable> serverErrors = new CopyOnWriteArrayList<>();

    @AfterEach
    void serversReportedNoErrors() {
        assertEquals(List.of(), serverErrors);
    }

    /** Expert e multiplies its rows by e + 1: checkable, and different per expert. */
    private static void scaleByExpert(int layer, ExpertBlocks blocks, float[] in, float[] out, int hidden) {
        for (int b = 0; b < blocks.count(); b++) {
            float f = blocks.expert(b) + 1;
            for (int i = blocks.firstRow(b) * hidden; i < (blocks.firstRow(b) + blocks.rowCount(b)) * hidden; i++) {
                out[i] = in[i] * f;
            }
        }
    }

    private static float[] activations(int tokens, int hidden, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] m = new float[tokens * hidden];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) r.nextGaussian();
        }
        return m;
    }

    /** Every grouped row of a remote expert holds its token's row scaled by (expert + 1); local rows are untouched. */
    private static void assertScaled(DispatchPlan plan, float[] m, float[] grouped, int hidden, int[] peerOfExpert, RowType type) {
        int checked = 0;
        for (int e = 0; e < plan.experts(); e++) {
            for (int p = plan.begin(e); p < plan.end(e); p++) {
                int token = plan.groupedTokens()[p];
                for (int i = 0; i < hidden; i++) {
                    float x = m[token * hidden + i];
                    float expected = peerOfExpert[e] == 0 ? 0f
                            : type == RowType.F32 ? x * (e + 1) : bf16(bf16(x) * (e + 1));
                    assertEquals(expected, grouped[p * hidden + i], "expert " + e + " grouped row " + p + " column " + i);
                }
                checked++;
            }
        }
        assertEquals(plan.tokens() * plan.k(), checked);
    }

    private static float bf16(float x) {
        return Float.intBitsToFloat(BFloat16.fromFloat(x) << 16);
    }

    private static int[] roundRobin(int experts, int nodes) {
        int[] peer = new int[experts];
        for (int e = 0; e < experts; e++) {
            peer[e] = e % nodes;
        }
        return peer;
    }

    private void roundTrip(Transport transport, RowType type, int tokens, int hidden, int experts, int k, int[] peerOfExpert, int nodes) {
        try (LocalCluster c = LocalCluster.start(transport, "dt", nodes, SETTINGS)) {
            for (int n = 1; n < nodes; n++) {
                c.serve(n, ExpertDispatchTest::scaleByExpert, serverErrors::add);
            }
            ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), type, STEP_TIMEOUT);
            for (long step = 1; step <= 3; step++) {
                DispatchPlan plan = DispatchBench.randomPlan(tokens, experts, k, step);
                float[] m = activations(tokens, hidden, step);
                float[] grouped = new float[tokens * k * hidden];
                dispatcher.dispatch(step, 4, plan, m, hidden, peerOfExpert);
                dispatcher.combine(grouped);
                assertScaled(plan, m, grouped, hidden, peerOfExpert, type);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void remoteExpertsComputeEveryRowAndLocalOnesAreLeftToTheCaller(Transport transport) {
        roundTrip(transport, RowType.F32, 16, 64, 16, 4, roundRobin(16, 3), 3);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aBatchLargerThanTheLargestMessageTravelsInChunks(Transport transport) {
        // 64 tokens · top-8 = 512 rows of 1024 floats (2 MiB) each way, in 128 KiB chunks of 8 KiB frames.
        roundTrip(transport, RowType.F32, 64, 1024, 64, 8, roundRobin(64, 2), 2);
    }

    @Test
    void bf16RowsAreRoundedOnTheWayOutAndBack() {
        roundTrip(Transport.IPC, RowType.BF16, 8, 128, 8, 2, roundRobin(8, 3), 3);
    }

    /**
     * A BACKWARD exchange sends grouped rows (one per assignment, not per token) and runs the compute's
     * backward; an inference compute without one answers with a FAILURE naming the reason.
     */
    @Test
    void backwardRowsTravelInGroupedOrderThroughTheComputesBackward() {
        try (LocalCluster c = LocalCluster.start(Transport.IPC, "db", 3, SETTINGS)) {
            c.serve(1, new ExpertCompute() {
                @Override
                public void compute(int layer, ExpertBlocks blocks, float[] in, float[] out, int hidden) {
                    scaleByExpert(layer, blocks, in, out, hidden);
                }

                @Override
                public void backward(int layer, ExpertBlocks blocks, float[] dOut, float[] dIn, int hidden) {
                    for (int i = 0; i < blocks.totalRows() * hidden; i++) {
                        dIn[i] = -dOut[i];
                    }
                }
            }, serverErrors::add);
            c.serve(2, ExpertDispatchTest::scaleByExpert, serverErrors::add);
            ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), RowType.F32, STEP_TIMEOUT);
            int hidden = 16;
            DispatchPlan plan = DispatchBench.randomPlan(6, 4, 2, 9);
            int rows = plan.tokens() * plan.k();
            float[] dOut = activations(rows, hidden, 9);
            float[] grouped = new float[rows * hidden];
            int[] toOne = {1, 1, 1, 1};

            dispatcher.dispatchBackward(1, 3, plan, dOut, hidden, toOne);
            dispatcher.combine(grouped);
            for (int i = 0; i < rows * hidden; i++) {
                assertEquals(-dOut[i], grouped[i], "grouped value " + i);
            }

            dispatcher.dispatchBackward(2, 3, plan, dOut, hidden, new int[] {2, 2, 2, 2});
            DataPlaneException e = assertThrows(DataPlaneException.class, () -> dispatcher.combine(grouped));
            assertTrue(e.getMessage().contains("serves inference only and has no backward"), e.getMessage());
        }
    }

    @Test
    void aComputeErrorComesBackAsAFailureNamingTheNodeAndTheServerKeepsServing() {
        try (LocalCluster c = LocalCluster.start(Transport.IPC, "df", 2, SETTINGS)) {
            c.serve(1, (layer, blocks, in, out, hidden) -> {
                if (layer == 7) {
                    throw new IllegalStateException("expert weights missing for layer 7");
                }
                scaleByExpert(layer, blocks, in, out, hidden);
            }, serverErrors::add);
            ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), RowType.F32, STEP_TIMEOUT);
            int[] peers = {1, 1, 1, 1};
            DispatchPlan plan = DispatchBench.randomPlan(2, 4, 1, 5);
            float[] m = activations(2, 32, 5);
            float[] grouped = new float[2 * 32];

            dispatcher.dispatch(1, 7, plan, m, 32, peers);
            DataPlaneException e = assertThrows(DataPlaneException.class, () -> dispatcher.combine(grouped));
            assertTrue(e.getMessage().contains("step 1 layer 7: node " + c.node(1) + " failed experts ["), e.getMessage());
            assertTrue(e.getMessage().contains("IllegalStateException: expert weights missing for layer 7"), e.getMessage());

            dispatcher.dispatch(2, 6, plan, m, 32, peers);
            dispatcher.combine(grouped);
            assertScaled(plan, m, grouped, 32, peers, RowType.F32);
        }
    }

    @Test
    void aMalformedMessageIsReportedAndTheServerKeepsServing() {
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        try (LocalCluster c = LocalCluster.start(Transport.IPC, "dm", 2, SETTINGS)) {
            c.serve(1, ExpertDispatchTest::scaleByExpert, reported::add);
            UnsafeBuffer junk = new UnsafeBuffer(new byte[100]);
            c.plane(0).send(DataPlane.Lane.DISPATCH, 1, junk, 0, junk.capacity());

            ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), RowType.F32, STEP_TIMEOUT);
            int[] peers = {1, 1, 1};
            DispatchPlan plan = DispatchBench.randomPlan(4, 3, 2, 9);
            float[] m = activations(4, 16, 9);
            float[] grouped = new float[4 * 2 * 16];
            dispatcher.dispatch(1, 0, plan, m, 16, peers);
            dispatcher.combine(grouped);
            assertScaled(plan, m, grouped, 16, peers, RowType.F32);
            assertEquals(1, reported.size(), reported.toString());
            assertTrue(reported.getFirst().getMessage().startsWith("not a rows message"), reported.toString());
        }
    }

    @Test
    void aSilentNodeFailsTheStepNamingItsExpertsAndItsLateReplyIsIgnored() {
        AtomicInteger calls = new AtomicInteger();
        try (LocalCluster c = LocalCluster.start(Transport.IPC, "ds", 3, SETTINGS)) {
            c.serve(1, ExpertDispatchTest::scaleByExpert, serverErrors::add);
            c.serve(2, (layer, blocks, in, out, hidden) -> {
                if (calls.getAndIncrement() == 0) {
                    sleep(600);
                }
                scaleByExpert(layer, blocks, in, out, hidden);
            }, serverErrors::add);
            ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), RowType.F32, Duration.ofMillis(200));
            int[] peers = {1, 2, 1, 2, 0, 2};
            DispatchPlan plan = DispatchBench.randomPlan(12, 6, 6, 1);
            float[] grouped = new float[12 * 6 * 16];

            dispatcher.dispatch(1, 3, plan, activations(12, 16, 1), 16, peers);
            long t0 = System.nanoTime();
            DataPlaneException e = assertThrows(DataPlaneException.class, () -> dispatcher.combine(grouped));
            assertTrue(System.nanoTime() - t0 < 500_000_000L, "failed within the step timeout");
            assertEquals("step 1 layer 3: no reply within 200 ms from node " + c.node(2) + " for experts [1, 3, 5]", e.getMessage());

            // Node 2 answers step 1 late, just before its answer to step 2: the dispatcher must not take those rows.
            float[] m = activations(12, 16, 2);
            Arrays.fill(grouped, 0f);
            dispatcher.dispatch(2, 3, plan, m, 16, peers);
            sleep(600);
            dispatcher.combine(grouped);
            assertScaled(plan, m, grouped, 16, peers, RowType.F32);
        }
    }

    /** Both hot paths, chunking and fragment reassembly included, reuse their buffers: no garbage per step once warm. */
    @Test
    void dispatcherAndServerAllocateNothingOnceWarm() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (LocalCluster c = LocalCluster.start(Transport.IPC, "da", 2, SETTINGS)) {
            c.serve(1, ExpertDispatchTest::scaleByExpert, serverErrors::add);
            long server = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("expert-server-" + c.node(1).name())).findFirst().orElseThrow().threadId();
            ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), RowType.F32, STEP_TIMEOUT);
            // 128 rows of 1024 floats: 512 KiB each way, in 128 KiB chunks of 8 KiB frames.
            DispatchPlan plan = DispatchBench.randomPlan(32, 16, 4, 1);
            float[] m = activations(32, 1024, 1);
            float[] grouped = new float[32 * 4 * 1024];
            int[] peers = new int[16];
            Arrays.fill(peers, 1);
            // Rounds of 100 steps until one allocates nothing on either side: the JIT needs a few to settle.
            long step = 0;
            long dispatcherBytes = -1;
            long serverBytes = -1;
            for (int round = 0; round < 30 && (dispatcherBytes != 0 || serverBytes != 0); round++) {
                long dispatcherBefore = threads.getCurrentThreadAllocatedBytes();
                long serverBefore = threads.getThreadAllocatedBytes(server);
                for (int i = 0; i < 100; i++) {
                    dispatcher.dispatch(++step, 2, plan, m, 1024, peers);
                    dispatcher.combine(grouped);
                }
                dispatcherBytes = threads.getCurrentThreadAllocatedBytes() - dispatcherBefore;
                serverBytes = threads.getThreadAllocatedBytes(server) - serverBefore;
            }
            assertEquals(0, dispatcherBytes, "bytes the dispatcher allocated in its last 100 steps");
            assertEquals(0, serverBytes, "bytes the server allocated in its last 100 steps");
        }
    }

    @Test
    void aPeerThatIsNotRunningFailsTheDispatchWithinTheSendTimeout() {
        var nodes = LocalCluster.nodes(Transport.UDP, "dn", 2);
        try (LocalCluster c = LocalCluster.start(nodes, 1, SETTINGS.withSendTimeout(Duration.ofMillis(300)))) {
            ExpertDispatcher dispatcher = new ExpertDispatcher(c.plane(0), RowType.F32, STEP_TIMEOUT);
            DispatchPlan plan = DispatchBench.randomPlan(1, 2, 2, 1);
            long t0 = System.nanoTime();
            DataPlaneException e = assertThrows(DataPlaneException.class,
                    () -> dispatcher.dispatch(1, 1, plan, new float[8], 8, new int[] {1, 1}));
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "failed within the send timeout");
            assertEquals("node " + nodes.get(1).name() + " (127.0.0.1:" + nodes.get(1).address().split(":")[1]
                    + ") is not connected (waited 300 ms)", e.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
