package dev.conclave.text.parse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class GlmOutputParserTest {
    static final GlmOutputParser PARSER = new GlmOutputParser(ToolCallParserTest.PARSER);

    static Stream<String> outputs() {
        return Stream.concat(Stream.of(
                        "\n<think>need tool</think>\n<tool_call>get_weather\n<arg_key>city</arg_key>\n"
                                + "<arg_value>Paris</arg_value>\n<arg_key>days</arg_key>\n<arg_value>2</arg_value>\n</tool_call>",
                        "\n<think>greet</think>\nHello!",
                        "\n<think>maybe <tool_call>f\n</tool_call> later</think>\nSure.\n<tool_call>f\n</tool_call>",
                        "\n<think>cut off",
                        "\nNo thinking.\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Oslo</arg_value>\n</tool_call>"),
                ToolCallParserTest.outputs().map(o -> "\n<think>r</think>\n" + o));
    }

    @Test
    void specAgenticTurn() {
        ParsedOutput out = PARSER.parse(outputs().toList().get(0));
        assertEquals(new ParsedOutput("need tool", null,
                List.of(new ToolCall("call_r1_0", "get_weather", "{\"city\":\"Paris\",\"days\":2}"))), out);
    }

    @Test
    void specPlainAnswer() {
        assertEquals(new ParsedOutput("greet", "Hello!", List.of()), PARSER.parse(outputs().toList().get(1)));
    }

    @Test
    void aCallInsideReasoningIsOnlyReasoning() {
        ParsedOutput out = PARSER.parse(outputs().toList().get(2));
        assertEquals("maybe <tool_call>f\n</tool_call> later", out.reasoning());
        assertEquals("Sure.", out.content());
        assertEquals(List.of(new ToolCall("call_r1_0", "f", "{}")), out.toolCalls());
    }

    @Test
    void thinkingOffAndCutOffReasoning() {
        ParsedOutput cut = PARSER.parse(outputs().toList().get(3));
        assertEquals(new ParsedOutput("cut off", null, List.of()), cut);
        ParsedOutput off = PARSER.parse(outputs().toList().get(4));
        assertEquals("No thinking.", off.content());
        assertEquals("{\"city\":\"Oslo\"}", off.toolCalls().getFirst().arguments());
        assertFalse(PARSER.parse("\nHi").toolsCalled());
    }

    @ParameterizedTest
    @MethodSource("outputs")
    void everyChunkingAddsUpToTheWholeOutput(String output) throws Exception {
        ParsedOutput whole = PARSER.parse(output);
        for (List<String> chunks : Chunkings.of(output)) {
            GlmOutputStream stream = PARSER.stream();
            List<StreamEvent> events = new ArrayList<>();
            for (String chunk : chunks) {
                events.addAll(stream.feed(chunk));
            }
            events.addAll(stream.finish());
            ToolCallParserTest.assertStreamMatches(whole, events, chunks);
        }
    }
}
