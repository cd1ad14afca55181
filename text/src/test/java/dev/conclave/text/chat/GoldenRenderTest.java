package dev.conclave.text.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every conversation in golden.json (the shared fixture) and edge-golden.json (edge cases: list content, typed
 * tool arguments, None content), rendered by Python's jinja2 with Hugging Face's settings, byte for byte.
 */
class GoldenRenderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String resource(String name) throws IOException {
        try (InputStream in = GoldenRenderTest.class.getResourceAsStream("/chat-templates/" + name)) {
            if (in == null) throw new IOException("missing test resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static List<Arguments> cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (String file : List.of("golden.json", "edge-golden.json")) {
            Map<String, Object> golden = JSON.readValue(resource(file), new TypeReference<>() { });
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> fileCases = (List<Map<String, Object>>) golden.get("cases");
            fileCases.forEach(c -> cases.add(Arguments.of(c.get("name"), c)));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersExactlyAsJinja2(String name, Map<String, Object> testCase) throws IOException {
        ChatTemplate template = ChatTemplate.compile(resource("GLM-4.6.jinja"));
        Map<String, Object> context = new HashMap<>(testCase);
        String expected = (String) context.remove("rendered");
        context.remove("name");
        assertSameText(expected, template.render(context));
    }

    /** Exact equality, reporting the first differing offset and the text around it on both sides. */
    static void assertSameText(String expected, String actual) {
        if (expected.equals(actual)) return;
        int at = 0;
        while (at < Math.min(expected.length(), actual.length()) && expected.charAt(at) == actual.charAt(at)) at++;
        fail("renders differ at offset " + at + " (expected length " + expected.length() + ", actual "
                + actual.length() + ")\n expected: " + excerpt(expected, at) + "\n actual:   " + excerpt(actual, at));
    }

    private static String excerpt(String s, int at) {
        int from = Math.max(0, at - 30);
        int to = Math.min(s.length(), at + 30);
        return JSON.valueToTree(s.substring(from, at) + "⟨HERE⟩" + s.substring(at, to)).toString();
    }
}
