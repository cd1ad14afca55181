package dev.conclave.training.checkpoint;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.training.Param;
import dev.conclave.training.optim.Optimizer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A resumable training checkpoint: {@code <root>/checkpoint-<step>/} holds the Hugging Face model
 * ({@link HfCheckpointWriter}, servable as is) and {@value #STATE_FILE}, the engine's own state: the float64
 * master weights, the optimizer's moments and step count, and the {@link Progress} of the data stream.
 *
 * <p>Saving is atomic: everything is written and forced to disk in a hidden temporary folder beside the
 * final one, which is then renamed into place in one step. A crash mid-save leaves at most a temporary folder,
 * which {@link #latest} ignores and the next save removes, so the last complete checkpoint stays loadable.
 */
public final class TrainingCheckpoint {

    public static final String STATE_FILE = "training_state.bin";

    private static final String STATE_MAGIC = "conclave-training-state-v1";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final String TEMP_PREFIX = ".tmp-checkpoint-";

    /**
     * Where training stands: optimizer steps taken, the data seed, the epoch, and the batches already
     * consumed in it. The data order of an epoch is a function of (seed, epoch), so these reproduce the stream.
     */
    public record Progress(long step, long seed, long epoch, long position) {
    }

    private TrainingCheckpoint() {
    }

    /** Saves atomically into {@code root/checkpoint-<progress.step>}, which must not exist yet; returns that folder. */
    public static Path save(Path root, ModelConfig config, List<Param> params, Optimizer optimizer, Progress progress,
                            HfCheckpointWriter.Options options) throws IOException {
        return save(root, config, params, optimizer, progress, options, file -> { });
    }

    /**
     * {@link #save} of a model whose params several owners hold (the training supervisor and the expert groups of
     * a cluster): {@code params} are all of them, {@code optimizer} is this process's, and each other owner's state
     * (its master weights and optimizer moments, in its own format) is written as {@code ownerStates}' file name
     * → bytes, inside the same atomic save.
     */
    public static Path save(Path root, ModelConfig config, List<Param> params, Optimizer optimizer, Progress progress,
                            HfCheckpointWriter.Options options, Map<String, byte[]> ownerStates) throws IOException {
        return save(root, config, params, optimizer, progress, options, ownerStates, file -> { });
    }

    /** {@link #save}, telling {@code listener} after each complete file (the crash-safety test fails there). */
    static Path save(Path root, ModelConfig config, List<Param> params, Optimizer optimizer, Progress progress,
                     HfCheckpointWriter.Options options, Consumer<Path> listener) throws IOException {
        return save(root, config, params, optimizer, progress, options, Map.of(), listener);
    }

    private static Path save(Path root, ModelConfig config, List<Param> params, Optimizer optimizer, Progress progress,
                             HfCheckpointWriter.Options options, Map<String, byte[]> ownerStates, Consumer<Path> listener)
            throws IOException {
        Path target = root.resolve("checkpoint-%08d".formatted(progress.step()));
        if (Files.exists(target)) {
            throw new IOException(target + ": a checkpoint of step " + progress.step() + " already exists");
        }
        Files.createDirectories(root);
        removeTemporaries(root);
        Path temp = root.resolve(TEMP_PREFIX + progress.step() + "-" + ProcessHandle.current().pid());
        List<Path> files = HfCheckpointWriter.write(temp, config, params, options, listener);
        Path state = temp.resolve(STATE_FILE);
        writeState(state, params, optimizer, progress);
        listener.accept(state);
        for (Path f : files) {
            force(f, false);
        }
        force(state, false);
        for (Map.Entry<String, byte[]> owner : ownerStates.entrySet()) {
            Path f = Files.write(temp.resolve(owner.getKey()), owner.getValue());
            force(f, false);
        }
        force(temp, true);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        force(root, true);
        return target;
    }

    /** The complete checkpoint of the highest step under {@code root}, if any. */
    public static Optional<Path> latest(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve(STATE_FILE)))
                    .max(Comparator.comparingLong(TrainingCheckpoint::stepOf));
        }
    }

    /**
     * Restores the exact float64 master weights into {@code params} and the optimizer's state from
     * {@code checkpoint}'s {@value #STATE_FILE}; returns the saved progress. The params must be the ones saved
     * (same names and sizes); a mismatch is an error naming the param.
     */
    public static Progress restore(Path checkpoint, List<Param> params, Optimizer optimizer) throws IOException {
        Path file = checkpoint.resolve(STATE_FILE);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            String magic = in.readUTF();
            if (!magic.equals(STATE_MAGIC)) {
                throw new IOException(file + ": not a Conclave training state (starts with '" + magic + "')");
            }
            Progress progress = new Progress(in.readLong(), in.readLong(), in.readLong(), in.readLong());
            Map<String, Param> byName = new HashMap<>();
            params.forEach(p -> byName.put(p.name(), p));
            int count = in.readInt();
            if (count != params.size()) {
                throw new IOException(file + ": holds " + count + " master weights, the model has " + params.size() + " params");
            }
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                Param p = byName.remove(name);
                if (p == null) {
                    throw new IOException(file + ": master weight '" + name + "' is not a param of this model (or repeated)");
                }
                int length = in.readInt();
                if (length != p.size()) {
                    throw new IOException(file + ": master weight '" + name + "' has " + length + " values, the param has " + p.size());
                }
                double[] w = p.value();
                for (int j = 0; j < length; j++) {
                    w[j] = Double.longBitsToDouble(in.readLong());
                }
            }
            optimizer.readState(in, file.toString());
            if (in.read() != -1) {
                throw new IOException(file + ": trailing bytes after the optimizer state");
            }
            return progress;
        } catch (EOFException e) {
            throw new IOException(file + ": truncated", e);
        }
    }

    private static void writeState(Path file, List<Param> params, Optimizer optimizer, Progress progress) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            out.writeUTF(STATE_MAGIC);
            out.writeLong(progress.step());
            out.writeLong(progress.seed());
            out.writeLong(progress.epoch());
            out.writeLong(progress.position());
            out.writeInt(params.size());
            for (Param p : params) {
                out.writeUTF(p.name());
                out.writeInt(p.size());
                for (double d : p.value()) {
                    out.writeLong(Double.doubleToRawLongBits(d));
                }
            }
            optimizer.writeState(out);
        }
    }

    /** Leftovers of saves that crashed; only this engine's own temporary folders are touched. */
    private static void removeTemporaries(Path root) throws IOException {
        List<Path> stale;
        try (Stream<Path> entries = Files.list(root)) {
            stale = entries.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList();
        }
        for (Path dir : stale) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** fsync, so the rename never publishes a folder whose files are still only in the page cache. */
    private static void force(Path path, boolean directory) throws IOException {
        try (FileChannel channel = FileChannel.open(path, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static long stepOf(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
