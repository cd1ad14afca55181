package dev.conclave.core.checkpoint;

import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.conclave.core.checkpoint.TestSafetensors.f32;
import static dev.conclave.core.checkpoint.TestSafetensors.halves;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void unmap() {
        arena.close();
    }

    @Test
    void readsTensorsAndMetadata() throws IOException {
        Path file = tmp.resolve("ok.safetensors");
        Map<String, TestSafetensors.Blob> blobs = new LinkedHashMap<>();
        blobs.put("w", f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
        blobs.put("scalar", f32(new long[] {}, 7));
        blobs.put("empty", f32(new long[] {0, 4}));
        TestSafetensors.write(file, blobs);

        SafetensorsFile st = SafetensorsFile.open(file, arena);

        assertEquals(Map.of("format", "pt"), st.metadata());
        assertEquals(List.of("w", "scalar", "empty"), List.copyOf(st.names()));
        Tensor w = st.find("w").orElseThrow();
        assertEquals(DType.F32, w.dtype());
        assertArrayEquals(new long[] {2, 3}, w.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, w.toFloatArray());
        assertEquals(7f, st.find("scalar").orElseThrow().get(0));
        assertEquals(0, st.find("empty").orElseThrow().numel());
        assertTrue(st.find("absent").isEmpty());
    }

    @Test
    void bf16AndF16WidenExactlyToFloat() throws IOException {
        Path file = tmp.resolve("half.safetensors");
        Map<String, TestSafetensors.Blob> blobs = new LinkedHashMap<>();
        // 1.0, -2.5, 3.140625, 0, +inf, smallest normal
        blobs.put("bf", halves("BF16", new long[] {6}, 0x3F80, 0xC020, 0x4049, 0x0000, 0x7F80, 0x0080));
        // 1.0, -2.0, 0.5, 65504 (max), 2^-24 (smallest subnormal), -0.0
        blobs.put("h", halves("F16", new long[] {2, 3}, 0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000));
        TestSafetensors.write(file, blobs);

        SafetensorsFile st = SafetensorsFile.open(file, arena);

        Tensor bf = st.find("bf").orElseThrow();
        assertEquals(DType.BF16, bf.dtype());
        assertArrayEquals(new float[] {1f, -2.5f, 3.140625f, 0f, Float.POSITIVE_INFINITY, Float.MIN_NORMAL}, bf.toFloatArray());
        Tensor h = st.find("h").orElseThrow();
        assertEquals(DType.F16, h.dtype());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 65504f, 0x1p-24f, -0f}, h.toFloatArray());
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(h.get(5)));
    }

    @Test
    void headerPaddedWithSpacesIsAccepted() throws IOException {
        // Writers pad the header with spaces so the data section starts 8-byte aligned.
        Path file = tmp.resolve("padded.safetensors");
        TestSafetensors.writeRaw(file, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}     ", new byte[4]);
        assertEquals(1, SafetensorsFile.open(file, arena).tensors().size());
    }

    @Test
    void adjacentRangesAndGapsAreAccepted() throws IOException {
        Path file = tmp.resolve("gaps.safetensors");
        TestSafetensors.writeRaw(file, """
                {"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},
                 "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "c":{"dtype":"F32","shape":[1],"data_offsets":[20,24]}}""", new byte[24]);
        assertEquals(3, SafetensorsFile.open(file, arena).tensors().size());
    }

    @Test
    void rejectsFileShorterThanLengthField() throws IOException {
        Path file = tmp.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 0, 0, 0, 0});
        assertRejected(file, "5 bytes", "too short");
    }

    @Test
    void rejectsEmptyFile() throws IOException {
        Path file = tmp.resolve("empty.safetensors");
        Files.write(file, new byte[0]);
        assertRejected(file, "0 bytes", "too short");
    }

    @Test
    void rejectsHeaderLengthBeyondFile() throws IOException {
        Path file = tmp.resolve("beyond.safetensors");
        TestSafetensors.writeRaw(file, 1000, "{}".getBytes(), new byte[0]);
        assertRejected(file, "header length 1000 runs past the end");
    }

    @Test
    void rejectsAbsurdHeaderLength() throws IOException {
        Path huge = tmp.resolve("huge.safetensors");
        TestSafetensors.writeRaw(huge, 200L << 20, "{}".getBytes(), new byte[0]);
        assertRejected(huge, "absurd");
        Path negative = tmp.resolve("u64max.safetensors");
        TestSafetensors.writeRaw(negative, -1L, "{}".getBytes(), new byte[0]);
        assertRejected(negative, "18446744073709551615", "absurd");
    }

    @Test
    void rejectsHeaderThatIsNotUtf8() throws IOException {
        Path file = tmp.resolve("latin1.safetensors");
        byte[] header = {'{', '"', (byte) 0xE9, '"', ':', '{', '}', '}'};
        TestSafetensors.writeRaw(file, header.length, header, new byte[0]);
        assertRejected(file, "not valid UTF-8");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            not JSON               | not json at all                                                         | not valid JSON
            trailing garbage       | {} x                                                                    | not valid JSON
            not an object          | [1, 2]                                                                  | not a JSON object
            duplicate tensor name  | {"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}} | Duplicate field 'a'
            metadata not strings   | {"__metadata__":{"format":1}}                                           | __metadata__ value for 'format'
            """)
    void rejectsMalformedHeaderJson(String description, String header, String expected) throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        TestSafetensors.writeRaw(file, header, new byte[16]);
        assertRejected(file, expected);
    }

    /** Each row: a header with one entry 't' over a 16-byte data section, and the expected message fragment. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            entry not an object     | 3                                                        | not a JSON object
            missing data_offsets    | {"dtype":"F32","shape":[1]}                              | needs dtype, shape and data_offsets
            missing dtype           | {"shape":[1],"data_offsets":[0,4]}                       | needs dtype, shape and data_offsets
            unsupported dtype       | {"dtype":"I64","shape":[1],"data_offsets":[0,8]}         | unsupported dtype I64
            dtype not a string      | {"dtype":4,"shape":[1],"data_offsets":[0,4]}             | dtype is not a string
            shape not a list        | {"dtype":"F32","shape":4,"data_offsets":[0,16]}          | shape is not a list
            negative dimension      | {"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}     | not a non-negative integer
            fractional dimension    | {"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}       | not a non-negative integer
            one offset              | {"dtype":"F32","shape":[1],"data_offsets":[4]}           | must be [begin, end]
            begin after end         | {"dtype":"F32","shape":[1],"data_offsets":[8,4]}         | must be [begin, end]
            negative offset         | {"dtype":"F32","shape":[1],"data_offsets":[-4,0]}        | must be [begin, end]
            offset beyond long      | {"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]} | must be [begin, end]
            end beyond data         | {"dtype":"F32","shape":[5],"data_offsets":[0,20]}        | end beyond the data section of 16 bytes
            begin beyond data       | {"dtype":"F32","shape":[0],"data_offsets":[17,17]}       | end beyond the data section
            too few bytes for shape | {"dtype":"F32","shape":[3],"data_offsets":[0,8]}         | span 8 bytes but shape [3] of F32 needs 12
            too many bytes          | {"dtype":"BF16","shape":[2,2],"data_offsets":[0,16]}     | span 16 bytes but shape [2, 2] of BF16 needs 8
            numel overflows         | {"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]} | is too large
            """)
    void rejectsBadTensorEntry(String description, String entry, String expected) throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        TestSafetensors.writeRaw(file, "{\"t\":" + entry + "}", new byte[16]);
        assertRejected(file, "tensor 't'", expected);
    }

    @Test
    void rejectsOverlappingRanges() throws IOException {
        Path file = tmp.resolve("overlap.safetensors");
        TestSafetensors.writeRaw(file, """
                {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);
        assertRejected(file, "tensor 'b'", "overlap tensor 'a'");
    }

    @Test
    void rejectsRangeInsideAnother() throws IOException {
        Path file = tmp.resolve("nested.safetensors");
        TestSafetensors.writeRaw(file, """
                {"outer":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},
                 "inner":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[16]);
        assertRejected(file, "tensor 'inner'", "overlap tensor 'outer'");
    }

    /** Random damage must surface as a CheckpointException or a file whose every tensor is readable, nothing else. */
    @Test
    void damagedFilesFailCleanly() throws IOException {
        Path good = tmp.resolve("good.safetensors");
        Map<String, TestSafetensors.Blob> blobs = new LinkedHashMap<>();
        blobs.put("a", f32(new long[] {2, 2}, 1, 2, 3, 4));
        blobs.put("b", halves("BF16", new long[] {3}, 0x3F80, 0x4000, 0x4040));
        blobs.put("c", halves("F16", new long[] {1, 1}, 0x3C00));
        TestSafetensors.write(good, blobs);
        byte[] original = Files.readAllBytes(good);
        Path damaged = tmp.resolve("damaged.safetensors");
        Random random = new Random(42);
        for (int trial = 0; trial < original.length + 500; trial++) {
            byte[] bytes = original.clone();
            if (trial < original.length) {
                bytes = Arrays.copyOf(bytes, trial); // every truncation
            } else {
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            Files.write(damaged, bytes);
            try (Arena trialArena = Arena.ofConfined()) {
                for (Tensor t : SafetensorsFile.open(damaged, trialArena).tensors().values()) {
                    t.toFloatArray();
                }
            } catch (CheckpointException expected) {
                assertTrue(expected.getMessage().startsWith(damaged.toString()), expected.getMessage());
            }
        }
    }

    @Test
    void rejectsMissingFile() {
        assertRejected(tmp.resolve("nope.safetensors"), "file not found");
    }

    private void assertRejected(Path file, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file, arena));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        }
    }
}
