package dev.conclave.cli;

import dev.conclave.training.tasks.RlTask;
import dev.conclave.training.tasks.Split;
import dev.conclave.training.tasks.SyntheticTasks;
import dev.conclave.training.tasks.TaskFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TasksCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesTheSameFilesAsTheLibrary() throws IOException {
        Path sft = dir.resolve("sft.jsonl");
        Path rl = dir.resolve("rl.jsonl");
        CliRun run = CliRun.of("tasks", "--task", "carry-bug-addition", "--count", "12", "--seed", "4",
                "--split", "TRAIN", "--thinking", "--sft", sft.toString(), "--rl", rl.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("wrote 12 carry-bug-addition RL tasks (seed 4, TRAIN, verifier exact_match)"), run.out());
        Path expected = dir.resolve("expected.jsonl");
        TaskFiles.writeSft(SyntheticTasks.byName("carry-bug-addition", true), 12, 4, Split.TRAIN, expected);
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(sft));
        assertTrue(Files.readString(sft).contains("\"reasoning_content\":"));
        assertEquals(12, RlTask.read(rl).size());
    }

    @Test
    void badArgumentsAreNamed() {
        CliRun unknown = CliRun.of("tasks", "--task", "countdown", "--rl", dir.resolve("x.jsonl").toString());
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown task 'countdown'"), unknown.err());
        CliRun noOutput = CliRun.of("tasks", "--task", "sort6");
        assertTrue(noOutput.exitCode() != 0);
        assertTrue(noOutput.err().contains("give --sft FILE, --rl FILE or both"), noOutput.err());
    }
}
