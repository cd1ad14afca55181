package dev.conclave.training.loop;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import dev.conclave.training.Param;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainer's current weights as a checkpoint the inference stages load (training spec §2.3, "publish
 * weights"): every float64 master value rounded to float32 in memory, validated against the layout like
 * files. Rollouts and evaluations then run on exactly the serving path, not on a second implementation.
 */
public final class PublishedWeights {

    private PublishedWeights() {}

    /** A fresh checkpoint of {@code params}' values; the caller closes it (which frees the copies). */
    public static Checkpoint publish(ModelConfig config, List<Param> params, long version) {
        Arena arena = Arena.ofShared();
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Param p : params) {
                double[] v = p.value();
                MemorySegment seg = arena.allocate((long) v.length * Float.BYTES, Float.BYTES);
                for (int i = 0; i < v.length; i++) {
                    DType.F32.write(seg, i, (float) v[i]);
                }
                long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
                tensors.put(p.name(), new Tensor(p.name(), DType.F32, shape, seg));
            }
            return Checkpoint.inMemory(Path.of("trainer-weights-v" + version), config, tensors, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
