package dev.conclave.dispatch;

import dev.conclave.dispatch.DataPlane.Lane;
import dev.conclave.dispatch.RowsMessage.Direction;
import dev.conclave.dispatch.RowsMessage.Kind;
import dev.conclave.dispatch.RowsMessage.RowType;
import dev.conclave.router.DispatchPlan;
import io.aeron.FragmentAssembler;
import io.aeron.logbuffer.Header;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The attention stage's side of one MoE layer's all-to-all. {@link #dispatch} sends each remote peer
 * one DISPATCH message (in chunks when it exceeds the largest message) holding that peer's expert
 * blocks of the plan; the caller then computes the experts this node hosts, and {@link #combine}
 * waits for the COMBINE replies and writes every returned row at its grouped position. One step and
 * layer at a time, on one thread; step ids must not repeat, since replies to any other (step, layer)
 * are discarded as stale.
 */
public final class ExpertDispatcher {

    private static final int FRAGMENT_LIMIT = 16;

    private final DataPlane plane;
    private final RowType rowType;
    private final long stepTimeoutNs;
    private final IdleStrategy idle = DataPlane.idleStrategy();
    private final FragmentAssembler assembler = new FragmentAssembler(this::onReply);
    private final RowsEncoder encoder = new RowsEncoder();
    private final RowsDecoder decoder = new RowsDecoder();
    private final UnsafeBuffer sendBuffer;
    private final ExpertBlocks blocks = new ExpertBlocks();
    private final AtomicLong unreachable = new AtomicLong();

    private DispatchPlan plan;
    private int[] peerOfExpert;
    private float[] grouped;
    private Direction direction;
    private long step;
    private int layer;
    private int hidden;
    private int[] received = new int[0];
    private int outstandingRows;
    private String failure;

    /**
     * @param rowType     how rows travel: F32 exactly, or BF16 at half the bytes
     * @param stepTimeout how long {@link #combine} waits for the replies of one layer
     */
    public ExpertDispatcher(DataPlane plane, RowType rowType, Duration stepTimeout) {
        if (plane.nodeCount() > Long.SIZE) {
            throw new IllegalArgumentException("at most " + Long.SIZE + " nodes, got " + plane.nodeCount());
        }
        this.plane = plane;
        this.rowType = rowType;
        this.stepTimeoutNs = stepTimeout.toNanos();
        this.sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(plane.maxMessageLength()));
    }

    /**
     * Sends the rows of {@code m} [tokens × hidden] that the plan routes to remote experts: expert e
     * lives on node {@code peerOfExpert[e]}; experts on this node are left to the caller.
     *
     * @throws DataPlaneException when a peer is not connected or stays back-pressured past the send timeout
     */
    public void dispatch(long step, int layer, DispatchPlan plan, float[] m, int hidden, int[] peerOfExpert) {
        start(Direction.FORWARD, step, layer, plan, m, hidden, peerOfExpert);
    }

    /**
     * The reverse of a training forward's exchange: sends each remote expert the gradients of its outputs,
     * {@code dOut} in the plan's grouped order (row p for grouped position p, already scaled by the mixing
     * weight), for its backward; {@link #combine} then collects the input gradients in the same order.
     */
    public void dispatchBackward(long step, int layer, DispatchPlan plan, float[] dOut, int hidden, int[] peerOfExpert) {
        start(Direction.BACKWARD, step, layer, plan, dOut, hidden, peerOfExpert);
    }

    private void start(Direction direction, long step, int layer, DispatchPlan plan, float[] rows, int hidden,
                       int[] peerOfExpert) {
        int experts = plan.experts();
        if (peerOfExpert.length != experts) {
            throw new IllegalArgumentException("peerOfExpert has " + peerOfExpert.length + " entries for " + experts + " experts");
        }
        for (int e = 0; e < experts; e++) {
            // Experts without rows may have no live host at all; only the ones this plan uses must have one.
            if (plan.load(e) > 0 && (peerOfExpert[e] < 0 || peerOfExpert[e] >= plane.nodeCount())) {
                throw new IllegalArgumentException("expert " + e + " is placed on node " + peerOfExpert[e] + ", not one of "
                        + plane.nodeCount());
            }
        }
        this.plan = plan;
        this.peerOfExpert = peerOfExpert;
        this.direction = direction;
        this.step = step;
        this.layer = layer;
        this.hidden = hidden;
        this.failure = null;
        this.outstandingRows = 0;
        if (received.length < experts) {
            received = new int[experts];
        }
        Arrays.fill(received, 0);
        try {
            for (int peer = 0; peer < plane.nodeCount(); peer++) {
                if (peer == plane.self()) {
                    continue;
                }
                blocks.clear();
                for (int e = 0; e < experts; e++) {
                    if (peerOfExpert[e] == peer && plan.load(e) > 0) {
                        blocks.add(e, plan.load(e));
                    }
                }
                if (blocks.count() > 0) {
                    send(peer, rows);
                    outstandingRows += blocks.totalRows();
                }
            }
        } catch (RuntimeException e) {
            this.plan = null;
            throw e;
        }
    }

    /** Forward rows are token rows of {@code rows}; backward rows are its grouped rows. */
    private void send(int peer, float[] rows) {
        int total = blocks.totalRows();
        int perChunk = RowsMessage.rowsPerChunk(plane.maxMessageLength(), blocks.count(), hidden, rowType);
        if (perChunk == 0) {
            throw new IllegalArgumentException("a row of hidden size " + hidden + " does not fit the largest message ("
                    + plane.maxMessageLength() + " bytes); raise the term length");
        }
        int chunks = (total + perChunk - 1) / perChunk;
        int k = plan.k();
        int b = 0;
        for (int c = 0; c < chunks; c++) {
            int first = c * perChunk;
            int n = Math.min(perChunk, total - first);
            encoder.wrap(sendBuffer, 0)
                    .header(Kind.DISPATCH, direction, rowType, step, layer, plane.self(), hidden)
                    .chunk(c, chunks, first, n, total)
                    .expertCount(blocks.count());
            for (int i = 0; i < blocks.count(); i++) {
                encoder.expert(i, blocks.expert(i), blocks.firstRow(i), blocks.rowCount(i));
            }
            for (int r = first; r < first + n; r++) {
                while (r >= blocks.firstRow(b) + blocks.rowCount(b)) {
                    b++;
                }
                int position = plan.begin(blocks.expert(b)) + r - blocks.firstRow(b);
                int assignment = plan.assignment(position);
                int token = assignment / k;
                encoder.rowMeta(r - first, plan.weight(token, assignment % k), token)
                        .row(r - first, rows, (direction == Direction.FORWARD ? token : position) * hidden);
            }
            plane.send(Lane.DISPATCH, peer, sendBuffer, 0, encoder.encodedLength());
        }
    }

    /**
     * Waits for the replies to the last {@link #dispatch} and writes each remote expert's output rows
     * into {@code grouped}, row p for grouped position p of the plan.
     *
     * @throws DataPlaneException when a peer answers with a FAILURE, or replies are missing after the
     *                            step timeout; the message names the nodes and their experts
     */
    public void combine(float[] grouped) {
        if (plan == null) {
            throw new IllegalStateException("combine without a dispatch in flight");
        }
        this.grouped = grouped;
        long deadline = System.nanoTime() + stepTimeoutNs;
        idle.reset();
        try {
            while (outstandingRows > 0 && failure == null) {
                int work = plane.poll(Lane.COMBINE, assembler, FRAGMENT_LIMIT);
                if (work == 0) {
                    String lost = lostPeers();
                    if (lost != null) {
                        throw new DataPlaneException(lost);
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new DataPlaneException(missingReplies());
                    }
                }
                idle.idle(work);
            }
            if (failure != null) {
                throw new DataPlaneException(failure);
            }
        } finally {
            this.plan = null;
            this.grouped = null;
        }
    }

    private void onReply(DirectBuffer buffer, int offset, int length, Header header) {
        try {
            decoder.wrap(buffer, offset, length);
        } catch (IllegalArgumentException e) {
            failure = prefix() + "unreadable reply: " + e.getMessage();
            return;
        }
        if (failure != null || decoder.step() != step || decoder.layer() != layer || decoder.direction() != direction) {
            return;
        }
        int source = decoder.source();
        if (decoder.kind() == Kind.FAILURE) {
            failure = prefix() + "node " + describe(source) + " failed experts " + tableExperts() + ": " + decoder.reason();
            return;
        }
        if (decoder.kind() != Kind.COMBINE || decoder.hidden() != hidden) {
            failure = prefix() + "node " + describe(source) + " sent a " + decoder.kind() + " of hidden size " + decoder.hidden()
                    + " as a reply";
            return;
        }
        int chunkFirst = decoder.firstRow();
        int chunkEnd = chunkFirst + decoder.rows();
        for (int i = 0; i < decoder.expertCount(); i++) {
            int e = decoder.expertId(i);
            int blockFirst = decoder.expertFirstRow(i);
            int lo = Math.max(blockFirst, chunkFirst);
            int hi = Math.min(blockFirst + decoder.expertRowCount(i), chunkEnd);
            if (lo >= hi) {
                continue;
            }
            if (e < 0 || e >= plan.experts() || peerOfExpert[e] != source || decoder.expertRowCount(i) != plan.load(e)) {
                failure = prefix() + "node " + describe(source) + " replied with rows for expert " + e + " it was not sent";
                return;
            }
            decoder.rows(lo - chunkFirst, hi - lo, grouped, (plan.begin(e) + lo - blockFirst) * hidden);
            received[e] += hi - lo;
            outstandingRows -= hi - lo;
        }
    }

    /**
     * Marks node {@code peer} unreachable (or reachable again), as the cluster's failure detector reports
     * it; may be called from any thread. A wait on replies from an unreachable node fails at once instead
     * of running out the step timeout.
     */
    public void peerReachable(int peer, boolean reachable) {
        long bit = 1L << peer;
        unreachable.getAndUpdate(mask -> reachable ? mask & ~bit : mask | bit);
    }

    /** A failure message when a node this exchange still waits on is unreachable, else null. */
    private String lostPeers() {
        long mask = unreachable.get();
        if (mask == 0) {
            return null;
        }
        StringBuilder lost = new StringBuilder();
        for (int peer = 0; peer < plane.nodeCount(); peer++) {
            if ((mask & (1L << peer)) == 0 || peer == plane.self()) {
                continue;
            }
            List<Integer> waiting = new ArrayList<>();
            for (int e = 0; e < plan.experts(); e++) {
                if (peerOfExpert[e] == peer && received[e] < plan.load(e)) {
                    waiting.add(e);
                }
            }
            if (!waiting.isEmpty()) {
                lost.append(lost.isEmpty() ? "" : "; ").append("node ").append(describe(peer))
                        .append(" became unreachable before experts ").append(waiting).append(" replied");
            }
        }
        return lost.isEmpty() ? null : prefix() + lost;
    }

    private String missingReplies() {
        StringBuilder s = new StringBuilder(prefix()).append("no reply within ").append(stepTimeoutNs / 1_000_000).append(" ms from");
        String separator = " ";
        for (int peer = 0; peer < plane.nodeCount(); peer++) {
            StringBuilder experts = new StringBuilder();
            for (int e = 0; e < plan.experts(); e++) {
                if (peerOfExpert[e] == peer && peer != plane.self() && received[e] < plan.load(e)) {
                    experts.append(experts.isEmpty() ? "" : ", ").append(e);
                }
            }
            if (!experts.isEmpty()) {
                s.append(separator).append("node ").append(plane.node(peer)).append(" for experts [").append(experts).append(']');
                separator = "; ";
            }
        }
        return s.toString();
    }

    private String tableExperts() {
        int[] ids = new int[decoder.expertCount()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = decoder.expertId(i);
        }
        return Arrays.toString(ids);
    }

    private String describe(int node) {
        return node >= 0 && node < plane.nodeCount() ? plane.node(node).toString() : "#" + node;
    }

    private String prefix() {
        return "step " + step + " layer " + layer + ": ";
    }
}
