package dev.conclave.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.checkpoint.CheckpointLayout;
import dev.conclave.core.checkpoint.SafetensorsWriter;
import dev.conclave.core.checkpoint.SafetensorsWriter.Entry;
import dev.conclave.core.checkpoint.SafetensorsWriter.FloatSource;
import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleConsumer;

/**
 * Writes a randomly initialised GLM-4.5-architecture checkpoint in the exact Hugging Face layout of spec §6
 * ({@code config.json}, safetensors, and an index when sharded), so loaders, benchmarks and the serving
 * path can run on models of any size without downloading one. Every tensor draws from its own generator,
 * seeded from the seed and its name, so the values do not depend on sharding or on which thread writes it;
 * tensors are generated chunk by chunk while being written, so the heap stays small for any model size.
 */
public final class RandomCheckpoint {

    /**
     * How to write: the weights' dtype, the seed, whether the MTP layer carries its own copies of the
     * embedding and lm_head (GLM-4.5 does, GLM-4.6 does not), and the largest shard in bytes (0: one file;
     * like HF, a model that fits in one shard is written as a single {@code model.safetensors}).
     */
    public record Options(DType dtype, long seed, boolean mtpCopies, long maxShardBytes) {
    }

    /** What {@link #write} produced. */
    public record Written(int tensors, long params, long bytes, int files) {
    }

    /** How a tensor's values are drawn; chosen so activations stay O(1) through the whole stack. */
    enum Init {
        /** N(0, 1/fan_in): a projection of an O(1) input gives O(1) outputs. */
        MATRIX,
        /** N(0, 1): the residual stream starts at the same scale as what the layers add to it. */
        EMBEDDING,
        /** 1 + 0.1·N(0, 1): near identity, yet a norm that is ignored or misapplied shows. */
        NORM,
        /** 0.02·N(0, 1). */
        BIAS,
        /** 0.05·N(0, 1): about the gap between neighbouring router scores, so it changes which experts win. */
        CORRECTION_BIAS;

        /** The init of a tensor, from its Hugging Face name. */
        static Init of(String name) {
            if (name.equals("model.embed_tokens.weight")) {
                return EMBEDDING;
            }
            if (name.endsWith("e_score_correction_bias")) {
                return CORRECTION_BIAS;
            }
            if (name.endsWith(".bias")) {
                return BIAS;
            }
            return name.endsWith("norm.weight") ? NORM : MATRIX;
        }

        FloatSource source(long[] shape, SplittableRandom random) {
            double mean = this == NORM ? 1 : 0;
            double std = switch (this) {
                case MATRIX -> 1 / Math.sqrt(shape[1]);
                case EMBEDDING -> 1;
                case NORM -> 0.1;
                case BIAS -> 0.02;
                case CORRECTION_BIAS -> 0.05;
            };
            return (chunk, count) -> {
                for (int i = 0; i < count; i++) {
                    chunk[i] = (float) (mean + std * random.nextGaussian());
                }
            };
        }
    }

    /** One tensor of the checkpoint and the random stream that fills it (a copy names its original's). */
    record Planned(Entry entry, Init init, String stream) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RandomCheckpoint() {
    }

    /**
     * Writes {@code config.json} and the weights of a random model into {@code dir} (created if needed).
     * {@code progress} receives the fraction written so far, one call at a time, from the writing threads.
     */
    public static Written write(ModelConfig config, Options options, Path dir, DoubleConsumer progress) throws IOException {
        List<Planned> tensors = layout(config, options.dtype(), options.mtpCopies());
        List<List<Planned>> shards = shards(tensors, options.maxShardBytes());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), ConfigWriter.toJson(config, options.dtype()));

        long bytes = tensors.stream().mapToLong(t -> t.entry().byteSize()).sum();
        Progress done = new Progress(bytes, progress);
        ObjectNode weightMap = JSON.createObjectNode();
        for (int s = 0; s < shards.size(); s++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : "model-%05d-of-%05d.safetensors".formatted(s + 1, shards.size());
            writeShard(dir.resolve(file), shards.get(s), options.seed(), done);
            shards.get(s).forEach(t -> weightMap.put(t.entry().name(), file));
        }
        if (shards.size() > 1) {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", bytes);
            index.set("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"), JSON.writeValueAsString(index) + "\n");
        }
        long params = tensors.stream().mapToLong(t -> t.entry().numel()).sum();
        return new Written(tensors.size(), params, bytes, shards.size());
    }

    private static void writeShard(Path file, List<Planned> tensors, long seed, Progress done) throws IOException {
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, tensors.stream().map(Planned::entry).toList())) {
            tensors.parallelStream().forEach(t -> {
                Entry e = t.entry();
                try {
                    writer.write(e.name(), t.init().source(e.shape(), new SplittableRandom(streamSeed(seed, t.stream()))));
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                done.add(e.byteSize());
            });
        }
    }

    /**
     * A 64-bit FNV-1a hash of the stream name started from the seed. For a fixed name it is a bijection of
     * the seed, so different seeds never share a tensor's values.
     */
    private static long streamSeed(long seed, String stream) {
        long h = 0xcbf29ce484222325L ^ seed;
        for (int i = 0; i < stream.length(); i++) {
            h = (h ^ stream.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }

    /** Splits the tensors, in order, into runs of at most {@code maxBytes} (a larger tensor gets a shard of its own). */
    private static List<List<Planned>> shards(List<Planned> tensors, long maxBytes) {
        if (maxBytes <= 0) {
            return List.of(tensors);
        }
        List<List<Planned>> shards = new ArrayList<>();
        List<Planned> current = new ArrayList<>();
        long size = 0;
        for (Planned t : tensors) {
            long b = t.entry().byteSize();
            if (!current.isEmpty() && size + b > maxBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(t);
            size += b;
        }
        shards.add(current);
        return shards;
    }

    /**
     * Every tensor of the checkpoint in {@link CheckpointLayout} order, each with how it is initialised. The
     * MTP layer's copies of the embedding and lm_head reuse their originals' random streams, so they hold the
     * same values, as in GLM-4.5 checkpoints.
     */
    static List<Planned> layout(ModelConfig c, DType dtype, boolean mtpCopies) {
        if (c.tieWordEmbeddings()) {
            throw new IllegalArgumentException("tie_word_embeddings is true; GLM-4.5 checkpoints never tie the lm_head");
        }
        String mtp = CheckpointLayout.layerPrefix(c.mtpLayerIndex());
        List<Planned> tensors = new ArrayList<>();
        for (CheckpointLayout.Entry e : CheckpointLayout.of(c).entries()) {
            String name = e.name();
            String stream = switch (name.startsWith(mtp) ? name.substring(mtp.length()) : "") {
                case "embed_tokens.weight" -> "model.embed_tokens.weight";
                case "shared_head.head.weight" -> "lm_head.weight";
                default -> name;
            };
            if (!stream.equals(name) && !mtpCopies) {
                continue;
            }
            Init init = Init.of(stream);
            // HF keeps the correction bias in float32 whatever the weights' dtype.
            DType type = init == Init.CORRECTION_BIAS ? DType.F32 : dtype;
            tensors.add(new Planned(new Entry(name, type, e.shape()), init, stream));
        }
        return tensors;
    }

    /** Bytes written so far, reported as a fraction of the total. */
    private static final class Progress {
        private final long total;
        private final DoubleConsumer sink;
        private long done;

        Progress(long total, DoubleConsumer sink) {
            this.total = total;
            this.sink = sink;
        }

        synchronized void add(long bytes) {
            done += bytes;
            sink.accept(total == 0 ? 1 : (double) done / total);
        }
    }
}
