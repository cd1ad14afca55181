package dev.conclave.cli;

import dev.conclave.core.tensor.DType;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every training command shares: checkpoints, the cluster, threads and the progress display. */
final class TrainRunOptions {

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "checkpoint interval in steps, 0 only at the end")
    int checkpointEvery;

    @Option(names = "--dtype", defaultValue = "BF16", description = "dtype of the saved weights: BF16 or F32 (default ${DEFAULT-VALUE})")
    DType dtype;

    @Option(names = "--cluster", paramLabel = "FILE", description = {"train through the cluster of this placement: this process is",
            "its head (the training supervisor); each node that owns routed experts runs",
            "`conclave node --train --config FILE --node NAME --model DIR` with the same --model"})
    Path cluster;

    @Option(names = "--threads", description = "compute threads (default: all cores)")
    Integer threads;

    @Option(names = "--quiet", description = "no progress display")
    boolean quiet;

    int threadCount() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }
}
