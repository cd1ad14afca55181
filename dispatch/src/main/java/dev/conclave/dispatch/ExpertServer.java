package dev.conclave.dispatch;

import dev.conclave.dispatch.DataPlane.Lane;
import dev.conclave.dispatch.RowsMessage.Direction;
import dev.conclave.dispatch.RowsMessage.Kind;
import io.aeron.FragmentAssembler;
import io.aeron.logbuffer.Header;
import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The expert group's side of the all-to-all, as an Agrona {@link Agent} for the group's own thread
 * (an {@link org.agrona.concurrent.AgentRunner} with {@link DataPlane#idleStrategy()}): polls DISPATCH messages,
 * reassembles their chunks per source, runs {@link ExpertCompute} on every block of a complete message
 * (its forward, or for a BACKWARD message its backward), and sends the outputs back to the source as COMBINE chunks in the same row order. A compute that
 * throws is answered with a FAILURE; a malformed message or a reply that cannot be sent goes to the
 * error handler. Either way the server keeps serving.
 */
public final class ExpertServer implements Agent {

    private static final int FRAGMENT_LIMIT = 16;
    private static final int MAX_REASON_CHARS = 1000;

    private final DataPlane plane;
    private final ExpertCompute compute;
    private final ErrorHandler errorHandler;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onMessage);
    private final RowsDecoder decoder = new RowsDecoder();
    private final RowsEncoder encoder = new RowsEncoder();
    private final UnsafeBuffer sendBuffer;
    private final Int2ObjectHashMap<RowsAssembly> assemblies = new Int2ObjectHashMap<>();

    public ExpertServer(DataPlane plane, ExpertCompute compute, ErrorHandler errorHandler) {
        this.plane = plane;
        this.compute = compute;
        this.errorHandler = errorHandler;
        this.sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(plane.maxMessageLength()));
    }

    @Override
    public int doWork() {
        return plane.poll(Lane.DISPATCH, assembler, FRAGMENT_LIMIT);
    }

    @Override
    public String roleName() {
        return "expert-server-" + plane.node(plane.self()).name();
    }

    private void onMessage(DirectBuffer buffer, int offset, int length, Header header) {
        try {
            decoder.wrap(buffer, offset, length);
            int source = decoder.source();
            if (decoder.kind() != Kind.DISPATCH || source < 0 || source >= plane.nodeCount()) {
                throw new IllegalArgumentException("expert server got a " + decoder.kind() + " from node " + source);
            }
            RowsAssembly a = assemblies.get(source);
            if (a == null) {
                a = new RowsAssembly();
                assemblies.put(source, a);
            }
            if (a.accept(decoder)) {
                serve(source, a);
            }
        } catch (RuntimeException e) {
            // A malformed message, or a reply its source no longer takes: report it and keep serving.
            errorHandler.onError(e);
        }
    }

    private void serve(int source, RowsAssembly a) {
        try {
            if (a.direction == Direction.BACKWARD) {
                compute.backward(a.layer, a.blocks, a.rows, a.out, a.hidden);
            } else {
                compute.compute(a.layer, a.blocks, a.rows, a.out, a.hidden);
            }
        } catch (RuntimeException e) {
            replyFailure(source, a, e.toString());
            return;
        }
        int perChunk = RowsMessage.rowsPerChunk(plane.maxMessageLength(), a.blocks.count(), a.hidden, a.rowType);
        if (perChunk == 0) {
            replyFailure(source, a, "rows of hidden size " + a.hidden + " do not fit this node's largest message ("
                    + plane.maxMessageLength() + " bytes)");
            return;
        }
        replyRows(source, a, perChunk);
    }

    private void replyRows(int source, RowsAssembly a, int perChunk) {
        int total = a.blocks.totalRows();
        int chunks = Math.max(1, (total + perChunk - 1) / perChunk);
        for (int c = 0; c < chunks; c++) {
            int first = c * perChunk;
            int n = Math.min(perChunk, total - first);
            startReply(Kind.COMBINE, a).chunk(c, chunks, first, n, total);
            writeBlocks(a);
            for (int r = 0; r < n; r++) {
                encoder.rowMeta(r, a.weights[first + r], a.tokens[first + r]);
            }
            encoder.rows(0, n, a.out, first * a.hidden);
            plane.send(Lane.COMBINE, source, sendBuffer, 0, encoder.encodedLength());
        }
    }

    private void replyFailure(int source, RowsAssembly a, String reason) {
        startReply(Kind.FAILURE, a).chunk(0, 1, 0, 0, a.blocks.totalRows());
        writeBlocks(a);
        encoder.reason(reason.length() > MAX_REASON_CHARS ? reason.substring(0, MAX_REASON_CHARS) : reason);
        plane.send(Lane.COMBINE, source, sendBuffer, 0, encoder.encodedLength());
    }

    private RowsEncoder startReply(Kind kind, RowsAssembly a) {
        return encoder.wrap(sendBuffer, 0).header(kind, a.direction, a.rowType, a.step, a.layer, plane.self(), a.hidden);
    }

    private void writeBlocks(RowsAssembly a) {
        encoder.expertCount(a.blocks.count());
        for (int b = 0; b < a.blocks.count(); b++) {
            encoder.expert(b, a.blocks.expert(b), a.blocks.firstRow(b), a.blocks.rowCount(b));
        }
    }
}
