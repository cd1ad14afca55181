package dev.conclave.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Reads back what {@link SafetensorsWriter} wrote, independently of the writer (tests only). */
public final class SafetensorsTestFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsTestFiles() {
    }

    /** A file's JSON header, its length field, and the file offset where the tensor data starts. */
    public record Header(JsonNode json, long headerLength, long dataStart) {
        /** Tensor names in header order, {@code __metadata__} left out. */
        public List<String> names() {
            List<String> names = new ArrayList<>();
            json.fieldNames().forEachRemaining(names::add);
            names.remove("__metadata__");
            return names;
        }

        public long[] shape(String name) {
            JsonNode dims = json.get(name).get("shape");
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).asLong();
            }
            return shape;
        }

        public DType dtype(String name) {
            return DType.fromSafetensors(json.get(name).get("dtype").asText());
        }
    }

    public static Header header(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long n = len.flip().getLong();
            ByteBuffer json = ByteBuffer.allocate((int) n);
            ch.read(json, 8);
            return new Header(JSON.readTree(new String(json.array(), StandardCharsets.UTF_8)), n, 8 + n);
        }
    }

    /** Tensor {@code name}'s raw bytes. */
    public static byte[] bytes(Path file, String name) throws IOException {
        Header h = header(file);
        JsonNode offsets = h.json().get(name).get("data_offsets");
        long begin = offsets.get(0).asLong();
        ByteBuffer data = ByteBuffer.allocate((int) (offsets.get(1).asLong() - begin));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.read(data, h.dataStart() + begin);
        }
        return data.array();
    }

    /** Tensor {@code name} widened to float32, decoded by {@link Tensor}. */
    public static float[] floats(Path file, String name) throws IOException {
        Header h = header(file);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes(file, name));
            return new Tensor(name, h.dtype(name), h.shape(name), data).toFloatArray();
        }
    }
}
