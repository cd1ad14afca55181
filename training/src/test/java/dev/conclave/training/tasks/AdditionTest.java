package dev.conclave.training.tasks;

import dev.conclave.training.rl.Verifier;
import dev.conclave.training.rl.Verifiers;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdditionTest {

    private static final Verifier EXACT = Verifiers.standard().get("exact_match");

    /** The true sum of "ab+cd=", zero-padded to 3 digits and reversed, computed here from the question. */
    private static String trueReversedSum(String question) {
        String[] operands = question.substring(0, question.length() - 1).split("\\+");
        int sum = Integer.parseInt(operands[0]) + Integer.parseInt(operands[1]);
        return new StringBuilder(String.format("%03d", sum)).reverse().toString();
    }

    @Test
    void carryBugTeacherIsRightAbout73PercentAndTheVerifierSeesIt() {
        List<Problem> problems = TaskFiles.draw(Addition.carryBug(), 20_000, 1, Split.ALL);
        int carries = 0;
        int teacherRight = 0;
        int rightOnCarries = 0;
        for (int i = 0; i < problems.size(); i++) {
            Problem p = problems.get(i);
            String question = p.question();
            assertTrue(question.matches("\\d\\d\\+\\d\\d="), question);
            assertEquals(trueReversedSum(question), p.answer());
            String teacher = p.demonstration().get(0).path("content").asText();
            // Rendering through the chat template is slow; the first 200 check the whole path, the rest the content.
            double reward = EXACT.score(i < 200 ? TeacherCompletion.of(p) : teacher, p.answer());
            boolean carry = (question.charAt(1) - '0') + (question.charAt(4) - '0') >= 10;
            carries += carry ? 1 : 0;
            if (teacher.equals(p.answer())) {
                assertEquals(1.0, reward, question);
                teacherRight++;
                rightOnCarries += carry ? 1 : 0;
            } else {
                // The only mistake the teacher makes: the units carry dropped, answer − 10.
                assertTrue(carry, question);
                int wrong = Integer.parseInt(new StringBuilder(teacher).reverse().toString());
                int right = Integer.parseInt(new StringBuilder(p.answer()).reverse().toString());
                assertEquals(right - 10, wrong, question);
                assertEquals(0.0, reward, question + " teacher " + teacher);
            }
        }
        // Expected 0.45, 0.73 and 0.4; 5 binomial standard deviations at n = 20,000 (9,000 carries) are below 0.02.
        System.out.printf("carry-bug teacher: %d problems, units carry %.4f, teacher accuracy %.4f, on carries %.4f%n",
                problems.size(), carries / 20_000.0, teacherRight / 20_000.0, (double) rightOnCarries / carries);
        assertEquals(0.45, carries / 20_000.0, 0.02);
        assertEquals(0.73, teacherRight / 20_000.0, 0.02);
        assertEquals(0.4, (double) rightOnCarries / carries, 0.03);
    }

    @Test
    void correctTeacherIsAlwaysRight() {
        for (Problem p : TaskFiles.draw(Addition.correct(3), 200, 2, Split.ALL)) {
            String question = p.question();
            assertTrue(question.matches("\\d{3}\\+\\d{3}="), question);
            String[] operands = question.substring(0, 7).split("\\+");
            int sum = Integer.parseInt(operands[0]) + Integer.parseInt(operands[1]);
            assertEquals(new StringBuilder(String.format("%04d", sum)).reverse().toString(), p.answer());
            assertEquals(1.0, EXACT.score(TeacherCompletion.of(p), p.answer()), question);
        }
    }

    @Test
    void thinkingTraceShowsTheCarries() {
        Addition thinking = new Addition(2, 0.6, true, true);
        assertEquals("5+7=12 carry 1; 4+6+1=11 carry 1; result 112", thinking.trace(45, 67, false));
        assertEquals("5+7=12 carry 0; 4+6=10 carry 1; result 102", thinking.trace(45, 67, true));
        assertEquals("3+4=7 carry 0; 2+1=3 carry 0; result 037", thinking.trace(23, 14, false));
        assertEquals("211", thinking.written(112));
        assertEquals("112", new Addition(2, 0, false, false).written(112));
        for (Problem p : TaskFiles.draw(thinking, 100, 3, Split.ALL)) {
            String reasoning = p.demonstration().get(0).path("reasoning_content").asText();
            String teacher = p.demonstration().get(0).path("content").asText();
            // The trace's result is the teacher's own (possibly wrong) sum, written forwards.
            assertTrue(reasoning.endsWith("result " + new StringBuilder(teacher).reverse()), reasoning);
            String completion = TeacherCompletion.of(p);
            assertTrue(completion.startsWith("\n<think>" + reasoning + "</think>"), completion);
            assertEquals(teacher.equals(p.answer()) ? 1.0 : 0.0, EXACT.score(completion, p.answer()));
        }
    }

    @Test
    void badConfigurationIsNamed() {
        assertThrows(IllegalArgumentException.class, () -> new Addition(0, 0, false, true));
        assertThrows(IllegalArgumentException.class, () -> new Addition(2, 1.5, false, true));
    }
}
