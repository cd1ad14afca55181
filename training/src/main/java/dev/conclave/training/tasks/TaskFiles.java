package dev.conclave.training.tasks;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a task's problems as JSONL, one object per line, the same bytes for the same seed.
 *
 * <p>SFT line (what {@code conclave train sft} reads): {@code {"messages": [prompt…, demonstration…]}} plus
 * {@code "tools"} when the task offers tools; assistant messages carry {@code reasoning_content} when the
 * teacher thinks and {@code tool_calls} ({@code [{"type":"function","function":{"name","arguments":{…}}}]},
 * arguments as an object, as the GLM template requires) when it calls a tool.
 * RL line: see {@link RlTask}.
 */
public final class TaskFiles {

    private TaskFiles() {
    }

    /** {@code count} problems admitted by {@code split}, drawn from one seeded stream. */
    public static List<Problem> draw(SyntheticTask task, int count, long seed, Split split) {
        if (count < 0) {
            throw new IllegalArgumentException("problem count must be >= 0, got " + count);
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<Problem> problems = new ArrayList<>(count);
        // A split admits about 10 % or 90 % of questions; a task whose question space is too small for the
        // request would loop for ever, so give up after a generous number of rejections.
        long budget = 100L * count + 1000;
        while (problems.size() < count) {
            if (budget-- == 0) {
                throw new IllegalStateException(task.name() + ": cannot draw " + count + " problems of split " + split);
            }
            Problem p = task.sample(random);
            if (split.admits(p.question())) {
                problems.add(p);
            }
        }
        return problems;
    }

    public static ObjectNode sftLine(Problem problem) {
        ObjectNode line = Messages.JSON.objectNode();
        ArrayNode messages = line.putArray("messages");
        messages.addAll(problem.prompt());
        messages.addAll(problem.demonstration());
        if (problem.tools() != null) {
            line.set("tools", problem.tools());
        }
        return line;
    }

    public static RlTask rlTask(SyntheticTask task, int index, Problem problem) {
        return new RlTask(String.format("%s-%06d", task.name(), index), problem.prompt(), problem.tools(),
                task.verifier(), problem.answer());
    }

    public static void writeSft(SyntheticTask task, int count, long seed, Split split, Path file) {
        List<ObjectNode> lines = new ArrayList<>();
        for (Problem p : draw(task, count, seed, split)) {
            lines.add(sftLine(p));
        }
        write(file, lines);
    }

    public static void writeRl(SyntheticTask task, int count, long seed, Split split, Path file) {
        List<ObjectNode> lines = new ArrayList<>();
        List<Problem> problems = draw(task, count, seed, split);
        for (int i = 0; i < problems.size(); i++) {
            lines.add(rlTask(task, i, problems.get(i)).toJson());
        }
        write(file, lines);
    }

    private static void write(Path file, List<ObjectNode> lines) {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (ObjectNode line : lines) {
                out.write(line.toString());
                out.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write task file " + file, e);
        }
    }
}
