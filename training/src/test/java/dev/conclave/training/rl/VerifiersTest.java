package dev.conclave.training.rl;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifiersTest {

    private static final Verifiers STANDARD = Verifiers.standard();

    private static double score(String verifier, String completion, String answer) {
        return STANDARD.get(verifier).score(completion, answer);
    }

    /** A call as the GLM-4.5 chat template renders an assistant tool call. */
    private static String call(String name, String... keyValues) {
        StringBuilder sb = new StringBuilder("<tool_call>").append(name).append('\n');
        for (int i = 0; i < keyValues.length; i += 2) {
            sb.append("<arg_key>").append(keyValues[i]).append("</arg_key>\n<arg_value>")
                    .append(keyValues[i + 1]).append("</arg_value>\n");
        }
        return sb.append("</tool_call>").toString();
    }

    @Test
    void exactMatchNormalisesWhitespaceCaseAndThinking() {
        assertEquals(1, score("exact_match", "\n<think>5+7=12 carry 1</think>\n211", "211"));
        assertEquals(1, score("exact_match", "211", "211"));
        assertEquals(1, score("exact_match", "  New \n  York ", "new york"));
        assertEquals(0, score("exact_match", "2110", "211"));
        assertEquals(0, score("exact_match", "21 1", "211"));
        // Cut off while thinking: no answer at all.
        assertEquals(0, score("exact_match", "\n<think>211", "211"));
        // The answer hidden in the reasoning does not count.
        assertEquals(0, score("exact_match", "<think>211</think>", "211"));
        assertEquals(0, score("exact_match", "", "211"));
    }

    @Test
    void numericTakesTheLastNumberWithinTolerance() {
        assertEquals(1, score("numeric", "37*24 = 888", "888"));
        assertEquals(1, score("numeric", "<think>maybe 887</think>\nThe result is 888.", "888"));
        assertEquals(1, score("numeric", "888.0000005", "888"));
        assertEquals(1, score("numeric", "-3", "-3"));
        assertEquals(1, score("numeric", "1.5e3", "1500"));
        assertEquals(0, score("numeric", "889", "888"));
        assertEquals(0, score("numeric", "888 or 889", "888"));
        assertEquals(0, score("numeric", "<think>888</think>\nno idea", "888"));
        assertEquals(0, score("numeric", "", "888"));
        assertEquals(1, new NumericMatch(0.5, 0).score("2.4", "2"));
        assertEquals(0, new NumericMatch(0, 0.1).score("2.4", "2"));
        assertThrows(IllegalArgumentException.class, () -> score("numeric", "1", "one"));
        assertThrows(IllegalArgumentException.class, () -> new NumericMatch(-1, 0));
    }

    @Test
    void sortedListChecksOrderAndItems() {
        assertEquals(1, score("sorted_list", "[1, 2, 3]", "3, 1, 2"));
        assertEquals(1, score("sorted_list", "\n<think></think>\n7 19 42", "42 7 19"));
        assertEquals(1, score("sorted_list", "2, 10", "10 2"));
        assertEquals(1, score("sorted_list", "1 1 2", "1 2 1"));
        assertEquals(1, score("sorted_list", "apple banana cherry", "cherry apple banana"));
        assertEquals(1, score("sorted_list", "[]", ""));
        assertEquals(0, score("sorted_list", "1 3 2", "1 2 3"));
        assertEquals(0, score("sorted_list", "1 2", "1 2 3"));
        assertEquals(0, score("sorted_list", "1 2 2", "1 2 3"));
        assertEquals(0, score("sorted_list", "10 2", "2 10"));
        assertEquals(0, score("sorted_list", "banana apple", "apple banana"));
        assertEquals(0, score("sorted_list", "", "1"));
    }

    @Test
    void toolCallFormatAcceptsWellFormedCalls() {
        String calc = call("calculator", "expression", "37*24");
        assertEquals(1, score("tool_call_format", calc, ""));
        assertEquals(1, score("tool_call_format", "\n<think>use the tool</think>\n" + calc, ""));
        assertEquals(1, score("tool_call_format", "Let me compute.\n" + calc, ""));
        assertEquals(1, score("tool_call_format", calc + "\n" + call("clock"), ""));
    }

    @Test
    void toolCallFormatRejectsMalformedCalls() {
        assertEquals(0, score("tool_call_format", "888", ""));
        // Cut off inside the call, inside a value, after a key.
        assertEquals(0, score("tool_call_format", "<tool_call>calculator\n<arg_key>expression</arg_key>\n"
                + "<arg_value>37*24</arg_value>\n", ""));
        assertEquals(0, score("tool_call_format", "<tool_call>calculator\n<arg_key>expression</arg_key>\n"
                + "<arg_value>37*24", ""));
        assertEquals(0, score("tool_call_format", "<tool_call>calculator\n<arg_key>expression</arg_key></tool_call>", ""));
        // Value not closed before the call ends.
        assertEquals(0, score("tool_call_format", "<tool_call>calculator\n<arg_key>expression</arg_key>\n"
                + "<arg_value>37*24</tool_call>", ""));
        // Body leaves the grammar.
        assertEquals(0, score("tool_call_format", "<tool_call>calculator\n<arg_key>expression</arg_key>\n"
                + "<arg_value>37*24</arg_value>\noops</tool_call>", ""));
        // Invalid name, missing name line, stray closing tag.
        assertEquals(0, score("tool_call_format", call("my tool", "x", "1"), ""));
        assertEquals(0, score("tool_call_format", "<tool_call></tool_call>", ""));
        assertEquals(0, score("tool_call_format", call("clock") + "</tool_call>", ""));
        // A call inside the reasoning is not a call.
        assertEquals(0, score("tool_call_format", "<think>" + call("clock") + "</think>\nno call", ""));
    }

    @Test
    void toolCallMatchComparesNamesAndArguments() {
        String expected = "{\"name\":\"calculator\",\"arguments\":{\"expression\":\"37*24\"}}";
        assertEquals(1, score("tool_call", call("calculator", "expression", "37*24"), expected));
        assertEquals(1, score("tool_call", "\n<think></think>\n" + call("calculator", "expression", " 37*24 "), expected));
        assertEquals(0, score("tool_call", call("calculator", "expression", "37*25"), expected));
        assertEquals(0, score("tool_call", call("calc", "expression", "37*24"), expected));
        assertEquals(0, score("tool_call", call("calculator", "expression", "37*24", "mode", "int"), expected));
        assertEquals(0, score("tool_call", call("calculator"), expected));
        assertEquals(0, score("tool_call", call("calculator", "expression", "37*24") + call("clock"), expected));
        assertEquals(0, score("tool_call", "<tool_call>calculator\n<arg_key>expression</arg_key>\n<arg_value>37*24",
                expected));
        // XML carries values as text: the number 12 and the string "12" are the same argument.
        String number = call("set", "n", "12");
        assertEquals(1, score("tool_call", number, "{\"name\":\"set\",\"arguments\":{\"n\":12}}"));
        assertEquals(1, score("tool_call", number, "{\"name\":\"set\",\"arguments\":{\"n\":\"12\"}}"));
        assertEquals(1, score("tool_call", call("a") + "\n" + call("b", "k", "[1, 2]"),
                "[{\"name\":\"a\",\"arguments\":{}},{\"name\":\"b\",\"arguments\":{\"k\":[1,2]}}]"));
        assertEquals(0, score("tool_call", call("b", "k", "[1, 2]") + "\n" + call("a"),
                "[{\"name\":\"a\",\"arguments\":{}},{\"name\":\"b\",\"arguments\":{\"k\":[1,2]}}]"));
        assertThrows(IllegalArgumentException.class, () -> score("tool_call", number, "not json"));
        assertThrows(IllegalArgumentException.class, () -> score("tool_call", number, "{\"name\":\"set\"}"));
    }

    @Test
    void weightedSumsOfNamedVerifiers() {
        String expected = "{\"name\":\"calculator\",\"arguments\":{\"expression\":\"37*24\"}}";
        Verifier shaped = STANDARD.get("0.8*tool_call + 0.2*tool_call_format");
        assertEquals(1.0, shaped.score(call("calculator", "expression", "37*24"), expected), 1e-15);
        assertEquals(0.2, shaped.score(call("calculator", "expression", "1+1"), expected), 1e-15);
        assertEquals(0.0, shaped.score("888", expected), 1e-15);
        assertEquals(2.0, STANDARD.get("exact_match+exact_match").score("a", "A"), 1e-15);
        assertEquals(0.5, new WeightedVerifier(List.of(new WeightedVerifier.Part(0.5, new ExactMatch())))
                .score("x", "x"), 1e-15);
    }

    @Test
    void registryErrorsNameTheProblem() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> STANDARD.get("exactmatch"));
        assertTrue(unknown.getMessage().contains("exactmatch") && unknown.getMessage().contains("exact_match, numeric"),
                unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> STANDARD.get("0.5*exact_match+x*numeric"));
        assertThrows(IllegalArgumentException.class, () -> STANDARD.get("-1*exact_match"));
        Verifiers mine = Verifiers.standard().register("always", (c, a) -> 1);
        assertEquals(1, mine.get("always").score("", ""));
        assertThrows(IllegalArgumentException.class, () -> mine.register("always", (c, a) -> 0));
        assertThrows(IllegalArgumentException.class, () -> mine.register("bad name", (c, a) -> 0));
        assertEquals(Set.of("exact_match", "numeric", "sorted_list", "tool_call_format", "tool_call"),
                STANDARD.names());
    }
}
