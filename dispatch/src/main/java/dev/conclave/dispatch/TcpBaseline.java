package dev.conclave.dispatch;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain-socket reference for the dispatch benchmark: blocking java.nio TCP on 127.0.0.1 with
 * TCP_NODELAY, one server thread per peer. A message is an int length and an int mode (echo it back,
 * swallow it, or swallow it and acknowledge) followed by the payload.
 */
final class TcpBaseline implements AutoCloseable {

    private static final int ECHO = 0;
    private static final int SINK = 1;
    private static final int ACK = 2;
    private static final int HEADER = 8;

    private final List<Closeable> sockets = new ArrayList<>();
    private final List<SocketChannel> clients = new ArrayList<>();
    private final Framing framing = new Framing();

    TcpBaseline(int peers) {
        try {
            for (int i = 0; i < peers; i++) {
                ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                sockets.add(listener);
                SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                sockets.add(client);
                clients.add(client);
                SocketChannel served = listener.accept();
                served.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Thread.ofPlatform().daemon().name("tcp-baseline-" + i).start(() -> serve(served));
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code bytes[i]} bytes to peer i, every peer first, then reads every echo; nanoseconds. */
    long roundTrip(int[] bytes) {
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < bytes.length; i++) {
                framing.write(clients.get(i), ECHO, bytes[i]);
            }
            for (int i = 0; i < bytes.length; i++) {
                framing.read(clients.get(i));
            }
            return System.nanoTime() - t0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Streams {@code messages} messages of {@code bytes} bytes one way to peer 0; nanoseconds until it acknowledges the last. */
    long oneWay(int messages, int bytes) {
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                framing.write(clients.getFirst(), i == messages - 1 ? ACK : SINK, bytes);
            }
            framing.read(clients.getFirst());
            return System.nanoTime() - t0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void serve(SocketChannel channel) {
        Framing framing = new Framing();
        try (channel) {
            while (true) {
                int mode = framing.read(channel);
                if (mode == ECHO) {
                    framing.writeBack(channel);
                } else if (mode == ACK) {
                    framing.write(channel, ACK, 0);
                }
            }
        } catch (IOException closed) {
            // the benchmark closed its end: this server is done
        }
    }

    @Override
    public void close() {
        for (Closeable s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing at the end of the benchmark: nothing to do about a failure
            }
        }
    }

    /** Messages through one reusable direct buffer. */
    private static final class Framing {

        private ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 16);

        void write(SocketChannel channel, int mode, int bytes) throws IOException {
            ensure(bytes);
            buffer.clear().putInt(0, bytes).putInt(4, mode).limit(HEADER + bytes);
            writeFully(channel);
        }

        /** Reads one message into the buffer; returns its mode. */
        int read(SocketChannel channel) throws IOException {
            buffer.clear().limit(HEADER);
            readFully(channel);
            int length = buffer.getInt(0);
            ensure(length);
            buffer.limit(HEADER + length).position(HEADER);
            readFully(channel);
            return buffer.getInt(4);
        }

        /** Sends the message just read back as it came. */
        void writeBack(SocketChannel channel) throws IOException {
            buffer.flip();
            writeFully(channel);
        }

        private void ensure(int payload) {
            if (buffer.capacity() < HEADER + payload) {
                ByteBuffer bigger = ByteBuffer.allocateDirect(HEADER + payload);
                bigger.put(0, buffer, 0, HEADER);
                buffer = bigger;
            }
        }

        private void writeFully(SocketChannel channel) throws IOException {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        private void readFully(SocketChannel channel) throws IOException {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    throw new IOException("connection closed");
                }
            }
        }
    }
}
