package dev.conclave.cli;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.InProcessPipeline;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a checkpoint and run it on this JVM. */
final class ModelOptions {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Checkpoint directory in Hugging Face layout (config.json + safetensors).")
    Path model;

    @Option(names = "--threads", paramLabel = "N",
            description = "Compute threads (default: all available processors).")
    Integer threads;

    int threadCount() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** A loaded model: closing it releases the threads and unmaps the checkpoint. */
    record Loaded(Checkpoint checkpoint, Parallel parallel, InProcessPipeline pipeline) implements AutoCloseable {
        @Override
        public void close() {
            parallel.close();
            checkpoint.close();
        }
    }

    Loaded load() {
        if (model == null) {
            throw new IllegalArgumentException("--model DIR is required");
        }
        Checkpoint checkpoint = Checkpoint.open(model);
        Parallel parallel = Parallel.create(threadCount());
        try {
            return new Loaded(checkpoint, parallel, InProcessPipeline.load(checkpoint, parallel));
        } catch (RuntimeException e) {
            parallel.close();
            checkpoint.close();
            throw e;
        }
    }

    static int[] parseIds(String csv, String option) {
        try {
            String[] parts = csv.trim().split("\\s*,\\s*");
            int[] ids = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                ids[i] = Integer.parseInt(parts[i]);
            }
            return ids;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be comma-separated token ids, got '" + csv + "'");
        }
    }
}
