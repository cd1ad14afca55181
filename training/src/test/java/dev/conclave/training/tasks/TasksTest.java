package dev.conclave.training.tasks;

import dev.conclave.training.rl.Verifier;
import dev.conclave.training.rl.Verifiers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TasksTest {

    private static final Verifiers VERIFIERS = Verifiers.standard();

    @Test
    void everyTeacherOfACorrectTaskPassesItsOwnVerifier() {
        for (String name : SyntheticTasks.NAMES) {
            if (name.equals("carry-bug-addition")) {
                continue;
            }
            for (boolean thinking : new boolean[] {false, true}) {
                SyntheticTask task = SyntheticTasks.byName(name, thinking);
                Verifier verifier = VERIFIERS.get(task.verifier());
                for (Problem p : TaskFiles.draw(task, 10, 9, Split.ALL)) {
                    String completion = TeacherCompletion.of(p);
                    assertEquals(1.0, verifier.score(completion, p.answer()), name + ": " + completion);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SyntheticTasks.byName("countdown", false));
    }

    @Test
    void sortDigitsSortsTheQuestionsDigits() {
        Verifier exact = VERIFIERS.get("exact_match");
        for (Problem p : TaskFiles.draw(new SortDigits(6), 200, 4, Split.ALL)) {
            String question = p.question();
            assertTrue(question.matches("\\d{6}>"), question);
            char[] digits = question.substring(0, 6).toCharArray();
            Arrays.sort(digits);
            assertEquals(new String(digits), p.answer());
            if (!question.substring(0, 6).equals(p.answer())) {
                assertEquals(0.0, exact.score(question.substring(0, 6), p.answer()), question);
            }
        }
    }

    @Test
    void sortListAnswersAreTheSortedItems() {
        Verifier sorted = VERIFIERS.get("sorted_list");
        for (Problem p : TaskFiles.draw(new SortList(), 200, 5, Split.ALL)) {
            String question = p.question();
            assertTrue(question.matches("sort: \\d{1,2}( \\d{1,2}){2,4}"), question);
            int[] items = Arrays.stream(question.substring(6).split(" ")).mapToInt(Integer::parseInt).toArray();
            int[] expected = items.clone();
            Arrays.sort(expected);
            assertArrayEquals(expected, Arrays.stream(p.answer().split(" ")).mapToInt(Integer::parseInt).toArray());
            if (!Arrays.equals(items, expected)) {
                assertEquals(0.0, sorted.score(question.substring(6), p.answer()), question);
            }
        }
    }

    @Test
    void calculatorRoundTripRendersAsGlmToolCall() {
        Verifier call = VERIFIERS.get("tool_call");
        for (Problem p : TaskFiles.draw(new CalculatorCall(false), 20, 6, Split.ALL)) {
            String expression = p.demonstration().get(0).path("tool_calls").get(0).path("function").path("arguments")
                    .path("expression").asText();
            assertTrue(expression.matches("\\d{2,3}[-+*]\\d{2,3}"), expression);
            assertTrue(p.question().contains(expression), p.question());
            String completion = TeacherCompletion.of(p);
            assertEquals("\n<think></think>\n<tool_call>calculator\n<arg_key>expression</arg_key>\n<arg_value>"
                    + expression + "</arg_value>\n</tool_call>", completion);
            assertEquals(1.0, call.score(completion, p.answer()));
            assertEquals(0.0, call.score(completion.replace(expression, expression + "0"), p.answer()));
            long result = Calculator.evaluate(expression);
            assertEquals(Long.toString(result), p.demonstration().get(1).path("content").asText());
            assertEquals("tool", p.demonstration().get(1).path("role").asText());
            assertEquals(expression + " = " + result, p.demonstration().get(2).path("content").asText());
        }
    }

    @Test
    void calculatorArithmetic() {
        assertEquals(888, Calculator.evaluate("37*24"));
        assertEquals(14, Calculator.evaluate("2+3*4"));
        assertEquals(20, Calculator.evaluate(" ( 2 + 3 ) * 4 "));
        assertEquals(6, Calculator.evaluate("-3*-2"));
        assertEquals(5, Calculator.evaluate("10-2-3"));
        assertEquals(-91, Calculator.evaluate("12-103"));
        for (String bad : List.of("", "2+", "2**3", "(1", "1)", "2/3", "99999999999999999999", "٣+1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Calculator.evaluate(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(ArithmeticException.class, () -> Calculator.evaluate("9223372036854775807+1"));
    }

    @Test
    void filesAreDeterministicPerSeed(@TempDir Path dir) throws IOException {
        SyntheticTask task = SyntheticTasks.byName("calculator", true);
        TaskFiles.writeSft(task, 40, 11, Split.TRAIN, dir.resolve("a.jsonl"));
        TaskFiles.writeSft(task, 40, 11, Split.TRAIN, dir.resolve("b.jsonl"));
        TaskFiles.writeSft(task, 40, 12, Split.TRAIN, dir.resolve("c.jsonl"));
        byte[] a = Files.readAllBytes(dir.resolve("a.jsonl"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b.jsonl")));
        assertFalse(Arrays.equals(a, Files.readAllBytes(dir.resolve("c.jsonl"))));
        List<String> lines = Files.readAllLines(dir.resolve("a.jsonl"));
        assertEquals(40, lines.size());
        assertTrue(lines.get(0).startsWith("{\"messages\":[{\"role\":\"user\",\"content\":"), lines.get(0));
        assertTrue(lines.get(0).contains("\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"calculator\","
                + "\"arguments\":{\"expression\":"), lines.get(0));
        assertTrue(lines.get(0).contains("\"reasoning_content\":\"I use the calculator for "), lines.get(0));
        assertTrue(lines.get(0).contains("\"tools\":[{\"type\":\"function\""), lines.get(0));

        TaskFiles.writeRl(task, 30, 11, Split.HELD_OUT, dir.resolve("rl.jsonl"));
        TaskFiles.writeRl(task, 30, 11, Split.HELD_OUT, dir.resolve("rl2.jsonl"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("rl.jsonl")), Files.readAllBytes(dir.resolve("rl2.jsonl")));
        List<RlTask> tasks = RlTask.read(dir.resolve("rl.jsonl"));
        assertEquals(30, tasks.size());
        assertEquals("calculator-000000", tasks.get(0).id());
        assertEquals("tool_call", tasks.get(0).verifier());
        assertTrue(tasks.get(0).answer().startsWith("{\"name\":\"calculator\",\"arguments\":{\"expression\":"));
        assertEquals("calculator", tasks.get(0).tools().get(0).path("function").path("name").asText());
        assertEquals(Files.readAllLines(dir.resolve("rl.jsonl")).get(3), tasks.get(3).toJson().toString());
    }

    @Test
    void rlTaskLinesMatchTheDocumentedSchema(@TempDir Path dir) throws IOException {
        TaskFiles.writeRl(Addition.carryBug(), 3, 1, Split.ALL, dir.resolve("rl.jsonl"));
        String line = Files.readAllLines(dir.resolve("rl.jsonl")).get(0);
        assertTrue(line.matches("\\{\"id\":\"carry-bug-addition-000000\",\"prompt\":\\[\\{\"role\":\"user\",\"content\":"
                + "\"\\d\\d\\+\\d\\d=\"}],\"verifier\":\"exact_match\",\"answer\":\"\\d{3}\"}"), line);
    }

    @Test
    void trainAndHeldOutSplitsAreDisjoint() {
        SyntheticTask task = Addition.carryBug();
        Set<String> train = new HashSet<>();
        TaskFiles.draw(task, 3000, 1, Split.TRAIN).forEach(p -> train.add(p.question()));
        Set<String> heldOut = new HashSet<>();
        TaskFiles.draw(task, 300, 2, Split.HELD_OUT).forEach(p -> heldOut.add(p.question()));
        assertTrue(heldOut.size() > 250);
        for (String q : heldOut) {
            assertFalse(train.contains(q), q);
        }
        long admitted = TaskFiles.draw(task, 5000, 3, Split.ALL).stream().filter(p -> Split.HELD_OUT.admits(p.question())).count();
        assertEquals(0.1, admitted / 5000.0, 0.02);
        // A task with one question that the split does not admit cannot fill a file: an error, not a hang.
        SyntheticTask single = new SyntheticTask() {
            public String name() { return "single"; }
            public String verifier() { return "exact_match"; }
            public Problem sample(SplittableRandom random) {
                return new SortDigits(1).sample(new SplittableRandom(0));
            }
        };
        String only = single.sample(null).question();
        Split refusing = Split.HELD_OUT.admits(only) ? Split.TRAIN : Split.HELD_OUT;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TaskFiles.draw(single, 2, 1, refusing));
        assertTrue(e.getMessage().contains("single: cannot draw 2 problems"), e.getMessage());
        assertEquals(2, TaskFiles.draw(single, 2, 1, refusing == Split.TRAIN ? Split.HELD_OUT : Split.TRAIN).size());
    }

    @Test
    void malformedTaskFilesAreNamedByLineAndField(@TempDir Path dir) throws IOException {
        String good = "{\"id\":\"a\",\"prompt\":[{\"role\":\"user\",\"content\":\"1+1=\"}],\"verifier\":\"exact_match\",\"answer\":\"2\"}";
        Path file = dir.resolve("t.jsonl");
        for (String[] bad : new String[][] {
                {"{not json", "t.jsonl:2: not JSON"},
                {"[1]", "t.jsonl:2: a task line must be a JSON object"},
                {good.replace("\"prompt\":[{\"role\":\"user\",\"content\":\"1+1=\"}]", "\"prompt\":\"1+1=\""), "\"prompt\" must be"},
                {good.replace("{\"role\":\"user\",", "{"), "needs a string \"role\""},
                {good.replace("\"answer\":\"2\"", "\"answer\":2"), "t.jsonl:2: \"answer\" must be a string"},
                {good.replace(",\"verifier\":\"exact_match\"", ""), "\"verifier\" must be a string"},
                {good.replace("}],", "}],\"tools\":{},"), "\"tools\" must be an array"},
                {good, "t.jsonl:2: duplicate id 'a'"}}) {
            Files.writeString(file, good + "\n" + bad[0] + "\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RlTask.read(file));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        Files.writeString(file, "\n");
        assertThrows(IllegalArgumentException.class, () -> RlTask.read(file));
        Files.writeString(file, good + "\n\n");
        assertEquals(1, RlTask.read(file).size());
        assertEquals("1+1=", RlTask.read(file).get(0).prompt().get(0).path("content").asText());
    }
}
