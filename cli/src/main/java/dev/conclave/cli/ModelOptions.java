package dev.conclave.cli;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.InProcessPipeline;
import java.io.Console;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a checkpoint and run it on this JVM. */
final class ModelOptions {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Checkpoint directory in Hugging Face layout (config.json + safetensors).")
    Path model;

    @Option(names = "--threads", paramLabel = "N",
            description = "Compute threads (default: all available processors).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bar while the weights load (there is none off a terminal either).")
    boolean quiet;

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
            prefetch(checkpoint);
            return new Loaded(checkpoint, parallel, InProcessPipeline.load(checkpoint, parallel));
        } catch (RuntimeException e) {
            parallel.close();
            checkpoint.close();
            throw e;
        }
    }

    private void prefetch(Checkpoint checkpoint) {
        Console console = System.console();
        if (quiet || console == null || !console.isTerminal()) {
            WeightPrefetch.run(checkpoint, done -> { });
            return;
        }
        try (ProgressBar bar = loadingBar(WeightPrefetch.totalBytes(checkpoint), new ConsoleProgressBarConsumer(System.err))) {
            WeightPrefetch.run(checkpoint, bar::stepTo);
        }
    }

    /** The bar of weights paged in, in MiB, written to {@code out}. */
    static ProgressBar loadingBar(long totalBytes, ProgressBarConsumer out) {
        return new ProgressBarBuilder().setTaskName("Loading weights").setInitialMax(totalBytes).setUnit(" MiB", 1 << 20)
                .setStyle(ProgressBarStyle.ASCII).showSpeed().setConsumer(out).build();
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
