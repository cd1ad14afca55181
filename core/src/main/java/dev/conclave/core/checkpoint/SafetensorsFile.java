package dev.conclave.core.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One {@code .safetensors} file, memory-mapped read-only. Layout: an 8-byte little-endian header length N,
 * N bytes of UTF-8 JSON {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}},
 * then the data section, to which the offsets are relative. Every header field is validated before any
 * {@link Tensor} view is sliced, so a malformed file fails with a message instead of reading outside the
 * mapping. Tensor bytes are never copied: each tensor is a slice of the mapping, which lives as long as
 * the caller's {@link Arena}.
 */
public final class SafetensorsFile {

    /** Real headers are a few MB even for 45k-tensor shards; a larger length means a corrupt or foreign file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, Tensor> tensors;

    private SafetensorsFile(Path path, Map<String, String> metadata, Map<String, Tensor> tensors) {
        this.path = path;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Maps {@code file} into {@code arena} (closing the arena unmaps it) and validates its header. */
    public static SafetensorsFile open(Path file, Arena arena) {
        MemorySegment mapped;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < Long.BYTES) {
                throw new CheckpointException(file + ": file is " + size + " bytes, too short for the 8-byte header length");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot map: " + e, e);
        }
        return parse(file, mapped);
    }

    public Path path() {
        return path;
    }

    /** The optional {@code __metadata__} string map (e.g. {@code format: pt}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors, in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** A header entry after validation; offsets are relative to the data section. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    private static SafetensorsFile parse(Path file, MemorySegment mapped) {
        long headerLength = mapped.get(U64_LE, 0);
        long available = mapped.byteSize() - Long.BYTES;
        // Compared unsigned: a u64 above Long.MAX_VALUE reads as negative.
        if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
            throw error(file, "header length " + Long.toUnsignedString(headerLength) + " is absurd (limit "
                    + MAX_HEADER_BYTES + " bytes); not a safetensors file?");
        }
        if (headerLength > available) {
            throw error(file, "header length " + headerLength + " runs past the end of the file (" + available
                    + " bytes follow the length)");
        }
        JsonNode header = readHeader(file, mapped.asSlice(Long.BYTES, headerLength));
        long dataStart = Long.BYTES + headerLength;
        long dataSize = mapped.byteSize() - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : header.properties()) {
            if (field.getKey().equals("__metadata__")) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(readEntry(file, field.getKey(), field.getValue(), dataSize));
            }
        }
        checkNoOverlap(file, entries);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            MemorySegment bytes = mapped.asSlice(dataStart + e.begin(), e.end() - e.begin());
            tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), bytes));
        }
        return new SafetensorsFile(file, metadata, tensors);
    }

    private static JsonNode readHeader(Path file, MemorySegment headerBytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .decode(ByteBuffer.wrap(headerBytes.toArray(ValueLayout.JAVA_BYTE)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw error(file, "header is not valid UTF-8");
        }
        JsonNode header;
        try {
            header = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new CheckpointException(file + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw error(file, "header is not a JSON object");
        }
        return header;
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw error(file, "__metadata__ is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw error(file, "__metadata__ value for '" + field.getKey() + "' is not a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node, long dataSize) {
        if (!node.isObject()) {
            throw error(file, name, "header entry is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || offsetsNode == null) {
            throw error(file, name, "header entry needs dtype, shape and data_offsets, has " + node);
        }
        if (!dtypeNode.isTextual()) {
            throw error(file, name, "dtype is not a string: " + dtypeNode);
        }
        DType dtype = DType.fromSafetensors(dtypeNode.textValue());
        if (dtype == null) {
            throw error(file, name, "unsupported dtype " + dtypeNode.textValue() + " (supported: "
                    + Arrays.toString(DType.values()) + ")");
        }
        if (!shapeNode.isArray()) {
            throw error(file, name, "shape is not a list: " + shapeNode);
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode dim = shapeNode.get(i);
            if (!dim.isIntegralNumber() || !dim.canConvertToLong() || dim.longValue() < 0) {
                throw error(file, name, "shape " + shapeNode + " has a dimension that is not a non-negative integer");
            }
            shape[i] = dim.longValue();
        }
        if (!offsetsNode.isArray() || offsetsNode.size() != 2 || !isNonNegativeLong(offsetsNode.get(0))
                || !isNonNegativeLong(offsetsNode.get(1)) || offsetsNode.get(0).longValue() > offsetsNode.get(1).longValue()) {
            throw error(file, name, "data_offsets " + offsetsNode + " must be [begin, end] with 0 <= begin <= end");
        }
        long begin = offsetsNode.get(0).longValue();
        long end = offsetsNode.get(1).longValue();
        if (end > dataSize) {
            throw error(file, name, "data_offsets " + offsetsNode + " end beyond the data section of " + dataSize + " bytes");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(Tensor.numel(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw error(file, name, "shape " + Arrays.toString(shape) + " is too large");
        }
        if (end - begin != expectedBytes) {
            throw error(file, name, "data_offsets " + offsetsNode + " span " + (end - begin) + " bytes but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + expectedBytes);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static boolean isNonNegativeLong(JsonNode node) {
        return node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0;
    }

    /**
     * Tensors may be adjacent or leave gaps, but no byte may belong to two tensors. Sorted by begin, the
     * ranges are disjoint iff each starts at or after the previous one's end. Empty tensors own no bytes.
     */
    private static void checkNoOverlap(Path file, List<Entry> entries) {
        List<Entry> sorted = entries.stream()
                .filter(e -> e.end() > e.begin())
                .sorted(Comparator.comparingLong(Entry::begin))
                .toList();
        for (int i = 1; i < sorted.size(); i++) {
            Entry previous = sorted.get(i - 1);
            Entry e = sorted.get(i);
            if (e.begin() < previous.end()) {
                throw error(file, e.name(), "bytes [" + e.begin() + ", " + e.end() + ") overlap tensor '"
                        + previous.name() + "' at [" + previous.begin() + ", " + previous.end() + ")");
            }
        }
    }

    private static CheckpointException error(Path file, String problem) {
        return new CheckpointException(file + ": " + problem);
    }

    private static CheckpointException error(Path file, String tensor, String problem) {
        return new CheckpointException(file + ": tensor '" + tensor + "': " + problem);
    }
}
