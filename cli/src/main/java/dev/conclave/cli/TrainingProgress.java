package dev.conclave.cli;

import java.io.Console;
import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How a training run shows its progress: on a terminal a bar (steps, rate, ETA) with the latest metrics;
 * elsewhere (logs, CI) one line for each step the trainer marks worth printing; nothing with --quiet.
 */
final class TrainingProgress implements AutoCloseable {

    private final ProgressBar bar;
    private final PrintWriter out;
    private final boolean quiet;

    TrainingProgress(String task, long steps, boolean quiet, PrintWriter out) {
        Console console = System.console();
        this.bar = quiet || console == null || !console.isTerminal() ? null
                : new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setStyle(ProgressBarStyle.ASCII)
                        .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        this.out = out;
        this.quiet = quiet;
    }

    /** Step {@code step} of {@code total} ended with these metrics; {@code line} says whether a log would print it. */
    void step(long step, long total, String metrics, boolean line) {
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(metrics);
        } else if (!quiet && line) {
            out.printf("step %d/%d  %s%n", step, total, metrics);
            out.flush();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
