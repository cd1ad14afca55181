package dev.conclave.core.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.conclave.core.checkpoint.CheckpointLayout.Entry;
import dev.conclave.core.config.ConfigLoader;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A Hugging Face {@code glm4_moe} checkpoint folder: {@code config.json} plus either sharded safetensors
 * files listed in {@code model.safetensors.index.json} or a single {@code model.safetensors}. Opening maps
 * every file and checks the tensor set against the config's {@link CheckpointLayout}, so later code can
 * fetch any expected tensor without re-checking it. Tensors are views of the mappings; closing the
 * checkpoint unmaps them, after which they must not be used.
 */
public final class Checkpoint implements AutoCloseable {

    public static final String CONFIG_FILE = "config.json";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";

    private static final int MAX_LISTED = 10;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path dir;
    private final ModelConfig config;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final boolean hasMtp;

    private Checkpoint(Path dir, ModelConfig config, Arena arena, Map<String, Tensor> tensors, boolean hasMtp) {
        this.dir = dir;
        this.config = config;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.hasMtp = hasMtp;
    }

    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": not a checkpoint directory");
        }
        ModelConfig config = ConfigLoader.load(dir.resolve(CONFIG_FILE));
        // Shared, not confined: forward passes read the weights from many threads.
        Arena arena = Arena.ofShared();
        try {
            Map<String, SafetensorsFile> fileOf = mapWeights(dir, arena);
            Map<String, Tensor> all = new HashMap<>();
            fileOf.forEach((name, file) -> all.put(name, file.tensors().get(name)));
            return of(dir, config, all, arena, name -> fileOf.get(name).path());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A checkpoint over tensors already in memory (for example a trainer's weights published to the
     * inference stages), validated exactly like files against the config's layout. Closing it closes
     * {@code arena}; {@code label} names it in errors.
     */
    public static Checkpoint inMemory(Path label, ModelConfig config, Map<String, Tensor> tensors, Arena arena) {
        return of(label, config, tensors, arena, name -> label);
    }

    private static Checkpoint of(Path dir, ModelConfig config, Map<String, Tensor> all, Arena arena,
                                 Function<String, Path> locationOf) {
        CheckpointLayout layout = CheckpointLayout.of(config);
        boolean hasMtp = validate(dir, config, layout, all, locationOf);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : layout.entries()) {
            Tensor t = all.get(e.name());
            if (t != null) {
                tensors.put(e.name(), t);
            }
        }
        return new Checkpoint(dir, config, arena, tensors, hasMtp);
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    /** Whether the checkpoint holds the MTP layer; some exports strip it even when the config declares it. */
    public boolean hasMtp() {
        return hasMtp;
    }

    /** The names of all tensors, in {@link CheckpointLayout} order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public Optional<Tensor> find(String name) {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(dir + ": checkpoint is closed");
        }
        return Optional.ofNullable(tensors.get(name));
    }

    public Tensor tensor(String name) {
        return find(name).orElseThrow(() -> new CheckpointException(dir + ": no tensor '" + name + "' in this checkpoint"));
    }

    /** Unmaps every file; idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** Maps the weight files and returns, for each tensor name, the file that holds it. */
    private static Map<String, SafetensorsFile> mapWeights(Path dir, Arena arena) {
        Path index = dir.resolve(INDEX_FILE);
        if (Files.exists(index)) {
            return mapShards(dir, index, arena);
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.exists(single)) {
            SafetensorsFile file = SafetensorsFile.open(single, arena);
            Map<String, SafetensorsFile> fileOf = new HashMap<>();
            file.names().forEach(name -> fileOf.put(name, file));
            return fileOf;
        }
        throw new CheckpointException(dir + ": neither " + INDEX_FILE + " nor " + SINGLE_FILE + " found");
    }

    /** Opens each shard the index names once; the index and the shards' headers must agree exactly. */
    private static Map<String, SafetensorsFile> mapShards(Path dir, Path index, Arena arena) {
        Map<String, String> shardOf = readWeightMap(index);
        Map<String, SafetensorsFile> shards = new TreeMap<>();
        for (Map.Entry<String, String> e : shardOf.entrySet()) {
            String shardName = e.getValue();
            if (!shards.containsKey(shardName)) {
                Path shard = shardPath(dir, index, shardName, e.getKey());
                if (!Files.isRegularFile(shard)) {
                    throw new CheckpointException(index + ": shard file " + shard + " (holding tensor '" + e.getKey()
                            + "') does not exist");
                }
                shards.put(shardName, SafetensorsFile.open(shard, arena));
            }
        }
        Map<String, SafetensorsFile> fileOf = new HashMap<>();
        for (SafetensorsFile shard : shards.values()) {
            for (String name : shard.names()) {
                SafetensorsFile other = fileOf.putIfAbsent(name, shard);
                if (other != null) {
                    throw new CheckpointException(dir + ": tensor '" + name + "' is stored in two shards, "
                            + other.path().getFileName() + " and " + shard.path().getFileName());
                }
            }
        }
        for (Map.Entry<String, SafetensorsFile> s : shards.entrySet()) {
            for (String name : s.getValue().names()) {
                String listed = shardOf.get(name);
                if (!s.getKey().equals(listed)) {
                    throw new CheckpointException(s.getValue().path() + ": holds tensor '" + name + "' but "
                            + index.getFileName() + (listed == null ? " does not list it" : " maps it to " + listed));
                }
            }
        }
        for (Map.Entry<String, String> e : shardOf.entrySet()) {
            if (!fileOf.containsKey(e.getKey())) {
                throw new CheckpointException(dir.resolve(e.getValue()) + ": " + index.getFileName() + " lists tensor '"
                        + e.getKey() + "' in this shard but the shard does not contain it");
            }
        }
        return fileOf;
    }

    /** Tensor name to shard file name, sorted by tensor name so that errors are reproducible. */
    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(index));
        } catch (JacksonException e) {
            throw new CheckpointException(index + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read: " + e, e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new CheckpointException(index + ": no \"weight_map\" object");
        }
        Map<String, String> shardOf = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointException(index + ": weight_map entry for tensor '" + e.getKey() + "' is not a file name");
            }
            shardOf.put(e.getKey(), e.getValue().textValue());
        }
        return shardOf;
    }

    /** Shards must sit beside the index: an index must not make us map arbitrary files. */
    private static Path shardPath(Path dir, Path index, String shardName, String tensor) {
        try {
            Path name = Path.of(shardName);
            if (name.getNameCount() == 1 && !name.isAbsolute() && !shardName.equals("..") && !shardName.equals(".")) {
                return dir.resolve(name);
            }
        } catch (InvalidPathException e) {
            // reported below
        }
        throw new CheckpointException(index + ": shard '" + shardName + "' for tensor '" + tensor
                + "' is not a plain file name in the checkpoint directory");
    }

    /** Checks the tensor names and shapes against the config's layout; returns whether the MTP layer is present. */
    private static boolean validate(Path dir, ModelConfig config, CheckpointLayout layout, Map<String, Tensor> tensors,
                                    Function<String, Path> locationOf) {
        List<String> unexpected = tensors.keySet().stream()
                .filter(name -> layout.find(name).isEmpty())
                .sorted()
                .map(name -> "'" + name + "' (in " + locationOf.apply(name).getFileName() + ")")
                .toList();
        if (!unexpected.isEmpty()) {
            throw new CheckpointException(dir + ": " + unexpected.size() + " unexpected tensor(s) that the "
                    + ConfigLoader.MODEL_TYPE + " layout of config.json does not have: " + listSome(unexpected));
        }
        boolean hasMtp = layout.entries().stream().anyMatch(e -> e.isMtp() && tensors.containsKey(e.name()));
        List<Entry> missing = layout.entries().stream()
                .filter(e -> e.presence() == CheckpointLayout.Presence.REQUIRED
                        || hasMtp && e.presence() == CheckpointLayout.Presence.MTP)
                .filter(e -> !tensors.containsKey(e.name()))
                .toList();
        if (!missing.isEmpty()) {
            List<String> names = missing.stream().map(e -> "'" + e.name() + "'").toList();
            String problem = missing.stream().allMatch(Entry::isMtp)
                    ? "holds only part of the MTP layer " + config.mtpLayerIndex() + " (it must be complete or absent); missing "
                    : "is missing ";
            throw new CheckpointException(dir + ": checkpoint " + problem + missing.size() + " tensor(s): " + listSome(names));
        }
        for (Entry e : layout.entries()) {
            Tensor t = tensors.get(e.name());
            if (t == null) {
                continue;
            }
            long[] actual = t.shape();
            if (!Arrays.equals(actual, e.shape())) {
                throw new CheckpointException(locationOf.apply(e.name()) + ": tensor '" + e.name() + "' has shape " + Arrays.toString(actual)
                        + " but config.json implies " + Arrays.toString(e.shape()));
            }
        }
        return hasMtp;
    }

    private static String listSome(List<String> items) {
        String shown = String.join(", ", items.subList(0, Math.min(items.size(), MAX_LISTED)));
        return items.size() <= MAX_LISTED ? shown : shown + ", ... and " + (items.size() - MAX_LISTED) + " more";
    }
}
