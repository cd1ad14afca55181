package dev.conclave.core.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes safetensors files for tests, well-formed or deliberately broken, and reads them back onto the heap. */
final class TestSafetensors {

    /** One tensor to write: safetensors dtype name, shape and raw little-endian bytes. */
    record Blob(String dtype, long[] shape, byte[] data) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestSafetensors() {
    }

    /** A file with exactly the given header length field, header bytes and data; nothing is checked. */
    static void writeRaw(Path file, long headerLength, byte[] header, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array());
        out.writeBytes(header);
        out.writeBytes(data);
        Files.write(file, out.toByteArray());
    }

    /** A file whose header is {@code headerJson} verbatim, with a correct length field. */
    static void writeRaw(Path file, String headerJson, byte[] data) throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        writeRaw(file, header.length, header, data);
    }

    /** A well-formed file: tensors packed back to back in map order, with {@code format: pt} metadata. */
    static void write(Path file, Map<String, Blob> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, Blob> e : tensors.entrySet()) {
            Blob blob = e.getValue();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", blob.dtype());
            var shape = entry.putArray("shape");
            for (long d : blob.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(data.size()).add(data.size() + blob.data().length);
            data.writeBytes(blob.data());
        }
        writeRaw(file, JSON.writeValueAsString(header), data.toByteArray());
    }

    /** Every tensor of a file, copied onto the heap, in header order. */
    static Map<String, Blob> read(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Blob> blobs = new LinkedHashMap<>();
            for (Tensor t : SafetensorsFile.open(file, arena).tensors().values()) {
                blobs.put(t.name(), new Blob(t.dtype().name(), t.shape(), t.data().toArray(ValueLayout.JAVA_BYTE)));
            }
            return blobs;
        }
    }

    static Blob f32(long[] shape, float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        return new Blob("F32", shape, bytes.array());
    }

    /** 16-bit values (BF16 or F16 bit patterns), little-endian. */
    static Blob halves(String dtype, long[] shape, int... bits) {
        ByteBuffer bytes = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int b : bits) {
            bytes.putShort((short) b);
        }
        return new Blob(dtype, shape, bytes.array());
    }
}
