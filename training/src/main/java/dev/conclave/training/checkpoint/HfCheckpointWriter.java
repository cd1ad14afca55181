package dev.conclave.training.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.checkpoint.CheckpointLayout;
import dev.conclave.core.checkpoint.SafetensorsWriter;
import dev.conclave.core.checkpoint.SafetensorsWriter.Entry;
import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.training.Param;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Writes params as a Hugging Face {@code glm4_moe} checkpoint (training spec §7.3, model spec §6) that any
 * HF loader and our own {@link Checkpoint} read: {@code config.json}, {@code generation_config.json},
 * {@code model-0000k-of-0000N.safetensors} shards in {@link CheckpointLayout} order plus
 * {@code model.safetensors.index.json}, and the tokenizer files of a source folder copied unchanged.
 * Weights are BF16 (rounded once, to nearest even, from the float64 masters) or F32;
 * {@code e_score_correction_bias} is always F32, as HF keeps it. The MTP layer's {@code embed_tokens} and
 * {@code shared_head.head} copies are written from the shared embedding and lm_head unless they are params
 * of their own.
 */
public final class HfCheckpointWriter {

    /**
     * The weights' dtype, the largest shard in bytes (a larger tensor gets a shard of its own), whether to
     * write the MTP layer's embedding and head copies (GLM-4.5 does, GLM-4.6 does not), and the folder whose
     * tokenizer files and generation config are copied (null: none, and a generation config from config.json).
     */
    public record Options(DType dtype, long maxShardBytes, boolean mtpCopies, Path assetsFrom) {

        public Options {
            if (dtype == DType.F16) {
                throw new IllegalArgumentException("checkpoints are written in BF16 or F32, not F16");
            }
            if (maxShardBytes <= 0) {
                throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
            }
        }

        /** BF16 in 5 GB shards with the MTP copies, as GLM-4.5 is published. */
        public static Options glm45(Path assetsFrom) {
            return new Options(DType.BF16, 5_000_000_000L, true, assetsFrom);
        }
    }

    /** The files a source checkpoint carries beside its weights that serving needs unchanged. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "chat_template.jinja", "tokenizer.model", "vocab.json", "merges.txt");

    public static final String GENERATION_CONFIG = "generation_config.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One tensor to write and the param its values come from (a different one for the MTP copies). */
    private record Planned(Entry entry, Param source) {
    }

    private HfCheckpointWriter() {
    }

    /**
     * Writes the checkpoint into {@code dir} (created; must be empty or new) and returns every file written,
     * in order. Params must match the config's layout exactly: every required tensor, all of the MTP layer
     * or none of it, nothing else, each with its layout shape.
     */
    public static List<Path> write(Path dir, ModelConfig config, List<Param> params, Options options) throws IOException {
        return write(dir, config, params, options, file -> { });
    }

    /** {@link #write}, telling {@code listener} after each complete file (the crash-safety test fails there). */
    static List<Path> write(Path dir, ModelConfig config, List<Param> params, Options options, Consumer<Path> listener)
            throws IOException {
        List<Planned> planned = plan(config, params, options);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException(dir + ": not empty; a checkpoint is written into a new folder");
                }
            }
        }
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        done(written, listener, Files.writeString(dir.resolve(Checkpoint.CONFIG_FILE), ConfigWriter.toJson(config, options.dtype())));

        List<List<Planned>> shards = shards(planned, options.maxShardBytes());
        ObjectNode weightMap = JSON.createObjectNode();
        long totalSize = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = "model-%05d-of-%05d.safetensors".formatted(s + 1, shards.size());
            List<Planned> shard = shards.get(s);
            try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve(file), shard.stream().map(Planned::entry).toList())) {
                // Tensors occupy fixed byte ranges of the file, so they can be converted and written in parallel.
                shard.parallelStream().forEach(t -> {
                    try {
                        writer.write(t.entry().name(), source(t));
                    } catch (IOException e) {
                        throw new UncheckedIOException(dir.resolve(file) + ": writing " + t.entry().name(), e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw new IOException(e.getMessage(), e.getCause());
            }
            for (Planned t : shard) {
                weightMap.put(t.entry().name(), file);
                totalSize += t.entry().byteSize();
            }
            done(written, listener, dir.resolve(file));
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", totalSize);
        index.set("weight_map", weightMap);
        done(written, listener, Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), JSON.writeValueAsString(index) + "\n"));

        Path assets = options.assetsFrom();
        if (assets != null && Files.isRegularFile(assets.resolve(GENERATION_CONFIG))) {
            done(written, listener, Files.copy(assets.resolve(GENERATION_CONFIG), dir.resolve(GENERATION_CONFIG)));
        } else {
            done(written, listener, Files.writeString(dir.resolve(GENERATION_CONFIG), generationConfig(config)));
        }
        if (assets != null) {
            for (String name : TOKENIZER_FILES) {
                if (Files.isRegularFile(assets.resolve(name))) {
                    done(written, listener, Files.copy(assets.resolve(name), dir.resolve(name), StandardCopyOption.COPY_ATTRIBUTES));
                }
            }
        }
        return written;
    }

    private static void done(List<Path> written, Consumer<Path> listener, Path file) {
        written.add(file);
        listener.accept(file);
    }

    /** HF's generation config derived from the model config: the stop tokens and the pad token. */
    static String generationConfig(ModelConfig config) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("_from_model_config", true);
        ArrayNode eos = n.putArray("eos_token_id");
        config.eosTokenIds().forEach(eos::add);
        if (config.padTokenId() != null) {
            n.put("pad_token_id", config.padTokenId());
        }
        return JSON.writeValueAsString(n) + "\n";
    }

    private static List<Planned> plan(ModelConfig config, List<Param> params, Options options) {
        Map<String, Param> byName = new HashMap<>();
        for (Param p : params) {
            if (byName.put(p.name(), p) != null) {
                throw new IllegalArgumentException("param " + p.name() + " given twice");
            }
        }
        CheckpointLayout layout = CheckpointLayout.of(config);
        List<String> unexpected = byName.keySet().stream().filter(n -> layout.find(n).isEmpty()).sorted().toList();
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException(unexpected.size() + " param(s) not in the glm4_moe layout of this config: "
                    + unexpected.subList(0, Math.min(5, unexpected.size())));
        }
        String mtp = CheckpointLayout.layerPrefix(config.mtpLayerIndex());
        boolean withMtp = layout.entries().stream().anyMatch(e -> e.presence() == CheckpointLayout.Presence.MTP
                && byName.containsKey(e.name()));
        Map<String, Planned> planned = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (CheckpointLayout.Entry e : layout.entries()) {
            if (e.isMtp() && !withMtp) {
                continue;
            }
            Param p = byName.get(e.name());
            if (p == null && e.presence() == CheckpointLayout.Presence.MTP_OPTIONAL) {
                if (!options.mtpCopies()) {
                    continue;
                }
                p = byName.get(e.name().equals(mtp + "embed_tokens.weight") ? "model.embed_tokens.weight" : "lm_head.weight");
            }
            if (p == null) {
                missing.add(e.name());
                continue;
            }
            long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
            if (!Arrays.equals(shape, e.shape())) {
                throw new IllegalArgumentException("param " + p.name() + " has shape " + Arrays.toString(shape)
                        + " but tensor " + e.name() + " of this config needs " + Arrays.toString(e.shape()));
            }
            // HF keeps the correction bias in float32 whatever the weights' dtype.
            DType dtype = e.name().endsWith("e_score_correction_bias") ? DType.F32 : options.dtype();
            planned.put(e.name(), new Planned(new Entry(e.name(), dtype, e.shape()), p));
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("no param for " + missing.size() + " tensor(s) of the checkpoint, e.g. "
                    + missing.subList(0, Math.min(5, missing.size())));
        }
        return List.copyOf(planned.values());
    }

    /** The tensors, in order, in runs of at most {@code maxBytes}. */
    private static List<List<Planned>> shards(List<Planned> tensors, long maxBytes) {
        List<List<Planned>> shards = new ArrayList<>();
        long size = 0;
        for (Planned t : tensors) {
            long bytes = t.entry().byteSize();
            if (shards.isEmpty() || size > 0 && size + bytes > maxBytes) {
                shards.add(new ArrayList<>());
                size = 0;
            }
            shards.getLast().add(t);
            size += bytes;
        }
        return shards;
    }

    /** The param's values narrowed for the file: BF16 rounded once from float64, F32 by a plain cast. */
    private static SafetensorsWriter.FloatSource source(Planned t) {
        double[] values = t.source().value();
        boolean bf16 = t.entry().dtype() == DType.BF16;
        int[] next = {0};
        return (chunk, count) -> {
            for (int i = 0; i < count; i++) {
                double v = values[next[0]++];
                chunk[i] = bf16 ? Bf16.round(v) : (float) v;
            }
        };
    }

}
