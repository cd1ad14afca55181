package dev.conclave.cli;

import dev.conclave.training.tasks.Split;
import dev.conclave.training.tasks.SyntheticTask;
import dev.conclave.training.tasks.SyntheticTasks;
import dev.conclave.training.tasks.TaskFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code conclave tasks}: writes a synthetic task's SFT JSONL (teacher demonstrations) and / or RL task JSONL
 * (prompt, verifier, answer), seeded, for {@code train sft} and {@code train grpo}.
 */
@Command(name = "tasks",
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Write seeded synthetic SFT and RL task files (addition, carry-bug-addition, sort6, "
                + "sort-list, calculator).")
final class TasksCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--task", required = true, description = "one of: addition, addition-forward (most significant digit first), carry-bug-addition, sort6, sort-list, calculator")
    String task;

    @Option(names = "--count", defaultValue = "1000", description = "problems per file")
    int count;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--split", defaultValue = "ALL",
            description = "${COMPLETION-CANDIDATES}: TRAIN and HELD_OUT never share a question")
    Split split;

    @Option(names = "--thinking", description = "add the teacher's reasoning trace where the task has one")
    boolean thinking;

    @Option(names = "--sft", description = "SFT JSONL to write ({\"messages\": [...], \"tools\": [...]})")
    Path sft;

    @Option(names = "--rl", description = "RL task JSONL to write ({\"id\", \"prompt\", \"tools\", \"verifier\", \"answer\"})")
    Path rl;

    @Override
    public Integer call() {
        if (sft == null && rl == null) {
            throw new ParameterException(spec.commandLine(), "give --sft FILE, --rl FILE or both");
        }
        SyntheticTask generator = SyntheticTasks.byName(task, thinking);
        if (sft != null) {
            TaskFiles.writeSft(generator, count, seed, split, sft);
            spec.commandLine().getOut().printf("wrote %d %s SFT samples (seed %d, %s) to %s%n", count, task, seed, split, sft);
        }
        if (rl != null) {
            TaskFiles.writeRl(generator, count, seed, split, rl);
            spec.commandLine().getOut().printf("wrote %d %s RL tasks (seed %d, %s, verifier %s) to %s%n", count, task,
                    seed, split, generator.verifier(), rl);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
