package dev.conclave.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conclave.core.checkpoint.SafetensorsWriter.Entry;
import dev.conclave.core.tensor.BFloat16;
import dev.conclave.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    /** A source that hands out {@code values} in order, whatever the chunk size. */
    private static SafetensorsWriter.FloatSource of(float... values) {
        int[] next = {0};
        return (chunk, count) -> {
            System.arraycopy(values, next[0], chunk, 0, count);
            next[0] += count;
        };
    }

    @Test
    void headerAndDataRoundTrip() throws IOException {
        Path file = dir.resolve("t.safetensors");
        float[] f32 = {1.5f, -2f, 3.25f, 0f, 1e-30f, -7f};
        float[] bf16 = {1f, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000), Float.NaN};
        float[] f16 = {0.1f, -65504f, 1e-8f};
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(
                new Entry("a.weight", DType.F32, new long[]{2, 3}),
                new Entry("b", DType.BF16, new long[]{4}),
                new Entry("c", DType.F16, new long[]{3})))) {
            w.write("b", of(bf16));
            w.write("a.weight", of(f32));
            w.write("c", of(f16));
        }

        SafetensorsTestFiles.Header h = SafetensorsTestFiles.header(file);
        assertEquals(0, h.headerLength() % 8, "data must start 8-byte aligned");
        assertEquals("pt", h.json().get("__metadata__").get("format").asText());
        assertEquals(List.of("a.weight", "b", "c"), h.names());
        assertOffsets(h.json().get("a.weight"), "F32", 0, 24);
        assertOffsets(h.json().get("b"), "BF16", 24, 32);
        assertOffsets(h.json().get("c"), "F16", 32, 38);
        assertArrayEquals(new long[]{2, 3}, h.shape("a.weight"));
        assertEquals(h.dataStart() + 38, Files.size(file));

        assertArrayEquals(f32, SafetensorsTestFiles.floats(file, "a.weight"));
        ByteBuffer b = ByteBuffer.wrap(SafetensorsTestFiles.bytes(file, "b")).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x3F80, b.getShort() & 0xFFFF);
        assertEquals(0x3F80, b.getShort() & 0xFFFF, "tie rounds to even (down)");
        assertEquals(0x3F82, b.getShort() & 0xFFFF, "tie rounds to even (up)");
        assertTrue(Float.isNaN(Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16)));
        float[] c = SafetensorsTestFiles.floats(file, "c");
        for (int i = 0; i < f16.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(f16[i])), c[i]);
        }
    }

    private static void assertOffsets(JsonNode tensor, String dtype, long begin, long end) {
        assertEquals(dtype, tensor.get("dtype").asText());
        assertEquals(begin, tensor.get("data_offsets").get(0).asLong());
        assertEquals(end, tensor.get("data_offsets").get(1).asLong());
    }

    @Test
    void largeTensorsStreamInChunksAndMayBeWrittenConcurrently() throws Exception {
        Path file = dir.resolve("big.safetensors");
        int n = 300_001; // several chunks, the last one partial
        List<Entry> entries = List.of(new Entry("x", DType.F32, new long[]{n}), new Entry("y", DType.BF16, new long[]{n}));
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries);
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<?>> done = entries.stream().<Future<?>>map(e -> pool.submit(() -> {
                int[] next = {0};
                w.write(e.name(), (chunk, count) -> {
                    for (int i = 0; i < count; i++) {
                        chunk[i] = next[0]++;
                    }
                });
                return null;
            })).toList();
            for (Future<?> f : done) {
                f.get();
            }
        }
        float[] x = SafetensorsTestFiles.floats(file, "x");
        float[] y = SafetensorsTestFiles.floats(file, "y");
        for (int i : new int[]{0, 1, 65_535, 65_536, 200_000, n - 1}) {
            assertEquals(i, x[i]);
            assertEquals(Float.intBitsToFloat((BFloat16.fromFloat(i) & 0xFFFF) << 16), y[i]);
        }
        assertEquals(SafetensorsTestFiles.header(file).dataStart() + 6L * n, Files.size(file));
    }

    @Test
    void refusesUnknownRepeatedOrMissingTensors() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        List<Entry> entries = List.of(new Entry("a", DType.F32, new long[]{1}), new Entry("b", DType.F32, new long[]{1}));
        SafetensorsWriter w = SafetensorsWriter.create(file, entries);
        assertThrows(IllegalArgumentException.class, () -> w.write("zzz", of(1f)));
        w.write("a", of(1f));
        assertThrows(IllegalStateException.class, () -> w.write("a", of(1f)));
        IllegalStateException missing = assertThrows(IllegalStateException.class, w::close);
        assertTrue(missing.getMessage().contains("[b]"), missing.getMessage());

        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.create(file,
                List.of(new Entry("a", DType.F32, new long[]{1}), new Entry("a", DType.F32, new long[]{2}))));
    }
}
