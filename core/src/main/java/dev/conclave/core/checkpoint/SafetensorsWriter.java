package dev.conclave.core.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.tensor.BFloat16;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a safetensors file: an 8-byte little-endian header length, a JSON header giving every tensor's
 * dtype, shape and byte range, then the tensor bytes. The tensor list is fixed up front so the header (and
 * with it every tensor's file position) is known before any data is written; each tensor's values are then
 * pulled from a {@link FloatSource} in small chunks, so a file of any size is written with a small heap.
 * Different tensors may be written concurrently from several threads.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** One tensor of the file. */
    public record Entry(String name, DType dtype, long[] shape) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long numel() {
            return Tensor.numel(shape);
        }

        public long byteSize() {
            return numel() * dtype.bytes();
        }
    }

    /** Produces a tensor's values in order, a chunk at a time. */
    @FunctionalInterface
    public interface FloatSource {
        /** Stores the next {@code count} values in {@code chunk[0..count)}. */
        void fill(float[] chunk, int count);
    }

    private static final int CHUNK_ELEMENTS = 1 << 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor and the file position of its first byte. */
    private record Placed(Entry entry, long position) {
    }

    private final FileChannel channel;
    private final Map<String, Placed> placed = new LinkedHashMap<>();
    private final Set<String> written = ConcurrentHashMap.newKeySet();

    private SafetensorsWriter(FileChannel channel) {
        this.channel = channel;
    }

    /** Creates (or truncates) {@code file} and writes the header for {@code entries}, laid out in this order. */
    public static SafetensorsWriter create(Path file, List<Entry> entries) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            SafetensorsWriter writer = new SafetensorsWriter(channel);
            writer.writeHeader(entries);
            return writer;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private void writeHeader(List<Entry> entries) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : entries) {
            if (e.name().equals("__metadata__") || header.has(e.name())) {
                throw new IllegalArgumentException("tensor name used twice or reserved: " + e.name());
            }
            long end = offset + e.byteSize();
            ObjectNode node = header.putObject(e.name());
            node.put("dtype", e.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (long d : e.shape) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        // Spaces pad the header so the data (and every F32 tensor in it) starts 8-byte aligned.
        int padded = (json.length + 7) & ~7;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        writeFully(head.flip(), 0);
        long position = head.capacity();
        for (Entry e : entries) {
            placed.put(e.name(), new Placed(e, position));
            position += e.byteSize();
        }
    }

    /** Writes every element of tensor {@code name}, converting the source's float32 values to its dtype. */
    public void write(String name, FloatSource source) throws IOException {
        Placed slot = placed.get(name);
        if (slot == null) {
            throw new IllegalArgumentException("tensor not in this file's header: " + name);
        }
        if (!written.add(name)) {
            throw new IllegalStateException("tensor written twice: " + name);
        }
        Entry entry = slot.entry();
        long remaining = entry.numel();
        long position = slot.position();
        float[] chunk = new float[(int) Math.min(remaining, CHUNK_ELEMENTS)];
        ByteBuffer bytes = ByteBuffer.allocate(chunk.length * entry.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        while (remaining > 0) {
            int count = (int) Math.min(remaining, chunk.length);
            source.fill(chunk, count);
            bytes.clear();
            encode(chunk, count, entry.dtype(), bytes);
            position += writeFully(bytes.flip(), position);
            remaining -= count;
        }
    }

    private static void encode(float[] values, int count, DType dtype, ByteBuffer out) {
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i < count; i++) {
                    out.putFloat(values[i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out.putShort(BFloat16.fromFloat(values[i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out.putShort(Float.floatToFloat16(values[i]));
                }
            }
        }
    }

    private int writeFully(ByteBuffer buffer, long position) throws IOException {
        int total = buffer.remaining();
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
        return total;
    }

    /** Closes the file; fails if a tensor of the header was never written, since the file would be wrong. */
    @Override
    public void close() throws IOException {
        channel.close();
        if (written.size() != placed.size()) {
            String[] missing = placed.keySet().stream().filter(n -> !written.contains(n)).limit(5).toArray(String[]::new);
            throw new IllegalStateException((placed.size() - written.size()) + " tensors never written, e.g. "
                    + Arrays.toString(missing));
        }
    }
}
