package dev.conclave.training.model;

import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.Param;
import dev.conclave.training.model.TrainableModel.LossWeights;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;

/**
 * Training throughput: forward + backward tokens per second of {@link TrainableModel#lossAndBackward} on
 * random packed batches (MTP and balance loss on), for a small SFT-sized model and a ~20 M-parameter one.
 * Tokens per CPU-second (process CPU time) is printed beside wall-clock tokens/s because a shared machine's
 * wall clock says more about the other processes than about this code.
 * Usage: {@code TrainSpeed [threads] [steps]}.
 */
public final class TrainSpeed {

    private TrainSpeed() {
    }

    /** ~1.3 M parameters: the size of the SFT proof's models (vocab 64, hidden 128, 2 layers, 8 experts top-2). */
    static ModelConfig small() {
        return config(64, 128, 2, 4, 2, 32, 384, 128, 8, 2);
    }

    /** ~20 M parameters: vocab 8192, hidden 256, 4 layers, 16 experts top-2 of width 256. */
    static ModelConfig medium() {
        return config(8192, 256, 4, 8, 2, 32, 768, 256, 16, 2);
    }

    private static ModelConfig config(int vocab, int hidden, int layers, int heads, int kv, int headDim,
                                      int intermediate, int moe, int experts, int k) {
        return new ModelConfig("glm4_moe", vocab, hidden, layers, heads, kv, headDim, intermediate, moe, experts,
                1, k, 1, 1, 1, true, 2.5, 10_000, 0.5, true, true, 1e-5, 4096, false, 1, 0, List.of(1), "float32");
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        try (Parallel parallel = Parallel.create(threads)) {
            run("small", small(), 16, 32, steps, parallel);
            run("medium", medium(), 8, 64, steps, parallel);
        }
    }

    private static void run(String name, ModelConfig c, int docs, int docLength, int steps, Parallel parallel) {
        TrainableModel model = TrainableModel.random(c, 1, parallel);
        long count = model.params().stream().mapToLong(Param::size).sum();
        Random rnd = new Random(2);
        Batch.Builder b = new Batch.Builder();
        for (int d = 0; d < docs; d++) {
            int[] tokens = new int[docLength];
            boolean[] mask = new boolean[docLength];
            for (int t = 0; t < docLength; t++) {
                tokens[t] = rnd.nextInt(c.vocabSize());
                mask[t] = true;
            }
            b.add(tokens, mask);
        }
        Batch batch = b.build();
        LossWeights w = LossWeights.glm45();
        // Warm-up: C2 compiles the kernels during the first steps, and its CPU time would count too.
        for (int s = 0; s < 8; s++) {
            model.lossAndBackward(batch, w);
        }
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuStart = os.getProcessCpuTime();
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            model.zeroGrad();
            model.lossAndBackward(batch, w);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpuStart) / 1e9;
        long tokens = (long) steps * batch.rows();
        System.out.printf("%s: %,d params, %d tokens/step, %.0f tokens/s wall, %.0f tokens per CPU-second"
                + " (forward+backward, %d threads)%n", name, count, batch.rows(), tokens / seconds,
                tokens / cpuSeconds, parallel.threads());
    }
}
