package dev.conclave.text.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolCallParserTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ToolSchemas SCHEMAS = schemas();
    static final ToolCallParser PARSER = new ToolCallParser(SCHEMAS, "call_r1_");

    private static ToolSchemas schemas() {
        try {
            return ToolSchemas.fromOpenAiTools(JSON.readTree("""
                    [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
                      "properties":{"city":{"type":"string"},"days":{"type":"integer"}}}}},
                     {"type":"function","function":{"name":"search","parameters":{"type":"object",
                      "properties":{"query":{"type":"string"},"filters":{"type":"object"},
                      "tags":{"type":"array"},"exact":{"type":"boolean"},"limit":{"type":"number"},
                      "note":{"type":["string","null"]},"mode":{"enum":["fast","deep"]},
                      "either":{"anyOf":[{"type":"string"},{"type":"integer"}]}}}}}]
                    """));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Outputs of every shape the property test runs over; the hand-written tests pin their exact results. */
    static Stream<String> outputs() {
        return Stream.of(
                "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
                        + "<arg_key>days</arg_key>\n<arg_value>2</arg_value>\n</tool_call>",
                "Let me check.\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
                        + "</tool_call>\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Rome</arg_value>\n"
                        + "<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>",
                "<tool_call>search\n<arg_key>query</arg_key>\n<arg_value>42</arg_value>\n"
                        + "<arg_key>filters</arg_key>\n<arg_value>{\"lang\": \"en\", \"nested\": {\"a\": [1, 2.50, null]}}</arg_value>\n"
                        + "<arg_key>tags</arg_key>\n<arg_value>[\"x\", \"y\"]</arg_value>\n"
                        + "<arg_key>exact</arg_key>\n<arg_value>true</arg_value>\n"
                        + "<arg_key>limit</arg_key>\n<arg_value>1.5e3</arg_value>\n</tool_call>",
                "<tool_call>search\n<arg_key>query</arg_key>\n<arg_value>  say \"hi\" \\ back\\n\nline 2\t\u00e9\u4e2d\ud83d\ude00 </ </arg </arg_value>\n</tool_call>",
                "<tool_call>search\n<arg_key>query</arg_key><arg_value></arg_value></tool_call>",
                "<tool_call>noargs\n</tool_call>",
                "<tool_call>get_time\\n<arg_key>tz</arg_key>\\n<arg_value>UTC</arg_value>\\n</tool_call>",
                "<tool_call>unknown_tool\n<arg_key>a</arg_key>\n<arg_value>Paris</arg_value>\n"
                        + "<arg_key>b</arg_key>\n<arg_value>{'k': True, 'n': None}</arg_value>\n"
                        + "<arg_key>c</arg_key>\n<arg_value>{\\\"x\\\": 1}</arg_value>\n"
                        + "<arg_key>d</arg_key>\n<arg_value>007</arg_value>\n"
                        + "<arg_key>e</arg_key>\n<arg_value>\"quoted\"</arg_value>\n</tool_call>",
                "<tool_call>search\n<arg_key>note</arg_key>\n<arg_value>3</arg_value>\n"
                        + "<arg_key>mode</arg_key>\n<arg_value>true</arg_value>\n"
                        + "<arg_key>either</arg_key>\n<arg_value>7</arg_value>\n</tool_call>",
                "Use <tool_call> tags to call tools.",
                "<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>",
                "<tool_call>get_weather</tool_call> after",
                "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\ngarbage</tool_call> tail",
                "<tool_call>get_weather\n<arg_key>city</arg_key>\nno value\n</tool_call>",
                "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Par",
                "<tool_call>search\n<arg_key>limit</arg_key>\n<arg_value>[1, 2",
                "<tool_call>search\n<arg_key>qu",
                "<tool_call>get_wea",
                "a <b> c < d\n\n<tool_call",
                "<tool_call>f\n<arg_key>x<tool_call>g\n<arg_key>y</arg_key>\n<arg_value>1</arg_value>\n</tool_call>",
                "before\n<tool_call>f\n</tool_call>\nbetween\n<tool_call>g\n</tool_call>\nafter",
                "<tool_call>" + "n".repeat(300) + "\n</tool_call>",
                "<tool_call>f\n<arg_key>" + "k".repeat(300) + "</arg_key><arg_value>1</arg_value></tool_call>",
                "plain text, no calls at all \u00e9",
                "");
    }

    @Test
    void specExample() throws Exception {
        ParsedOutput out = PARSER.parse("<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
                + "<arg_key>days</arg_key>\n<arg_value>2</arg_value>\n</tool_call>");
        assertNull(out.content());
        assertEquals(List.of(new ToolCall("call_r1_0", "get_weather", "{\"city\":\"Paris\",\"days\":2}")), out.toolCalls());
        assertEquals(JSON.readTree("""
                {"id":"call_r1_0","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\",\\"days\\":2}"}}
                """), out.toolCalls().getFirst().toOpenAi());
    }

    @Test
    void contentBeforeSeveralCalls() {
        ParsedOutput out = PARSER.parse(outputs().toList().get(1));
        assertEquals("Let me check.", out.content());
        assertEquals(List.of(new ToolCall("call_r1_0", "get_weather", "{\"city\":\"Paris\"}"),
                new ToolCall("call_r1_1", "get_weather", "{\"city\":\"Rome\",\"days\":3}")), out.toolCalls());
    }

    @Test
    void valuesAreTypedByTheSchema() throws Exception {
        ParsedOutput out = PARSER.parse(outputs().toList().get(2));
        assertEquals("{\"query\":\"42\",\"filters\":{\"lang\":\"en\",\"nested\":{\"a\":[1,2.50,null]}},"
                + "\"tags\":[\"x\",\"y\"],\"exact\":true,\"limit\":1.5E+3}", out.toolCalls().getFirst().arguments());
        assertEquals(1500, JSON.readTree(out.toolCalls().getFirst().arguments()).get("limit").asInt());
    }

    @Test
    void stringValuesAreRawTrimmedAndEscaped() throws Exception {
        ParsedOutput out = PARSER.parse(outputs().toList().get(3));
        assertEquals("say \"hi\" \\ back\\n\nline 2\t\u00e9\u4e2d\ud83d\ude00 </ </arg",
                JSON.readTree(out.toolCalls().getFirst().arguments()).get("query").asText());
    }

    @Test
    void emptyValuesAndEmptyArguments() {
        assertEquals("{\"query\":\"\"}", PARSER.parse(outputs().toList().get(4)).toolCalls().getFirst().arguments());
        assertEquals("{}", PARSER.parse(outputs().toList().get(5)).toolCalls().getFirst().arguments());
    }

    @Test
    void backslashNEndsTheNameLine() {
        assertEquals(List.of(new ToolCall("call_r1_0", "get_time", "{\"tz\":\"UTC\"}")),
                PARSER.parse(outputs().toList().get(6)).toolCalls());
    }

    @Test
    void unknownParametersAreSniffed() {
        assertEquals("{\"a\":\"Paris\",\"b\":{\"k\":true,\"n\":null},\"c\":{\"x\":1},\"d\":\"007\",\"e\":\"quoted\"}",
                PARSER.parse(outputs().toList().get(7)).toolCalls().getFirst().arguments());
    }

    @Test
    void nullableEnumAndAnyOfStringsStayRaw() {
        assertEquals("{\"note\":\"3\",\"mode\":\"true\",\"either\":7}",
                PARSER.parse(outputs().toList().get(8)).toolCalls().getFirst().arguments());
    }

    @Test
    void malformedCallsBecomeContent() {
        for (int i : new int[] {9, 10, 11}) {
            String output = outputs().toList().get(i);
            ParsedOutput out = PARSER.parse(output);
            assertFalse(out.toolsCalled(), output);
            assertEquals(output, out.content());
        }
    }

    @Test
    void aCallThatLeavesTheGrammarKeepsItsArgumentsAndTheRestIsContent() {
        ParsedOutput out = PARSER.parse(outputs().toList().get(12));
        assertEquals(List.of(new ToolCall("call_r1_0", "get_weather", "{\"city\":\"Paris\"}")), out.toolCalls());
        assertEquals("\ngarbage</tool_call> tail", out.content());

        out = PARSER.parse(outputs().toList().get(13));
        assertEquals("{}", out.toolCalls().getFirst().arguments());
        assertEquals("<arg_key>city</arg_key>\nno value\n</tool_call>", out.content());
    }

    @Test
    void outputCutOffInsideACallClosesIt() {
        assertEquals("{\"city\":\"Par\"}", PARSER.parse(outputs().toList().get(14)).toolCalls().getFirst().arguments());
        assertEquals("{\"limit\":\"[1, 2\"}", PARSER.parse(outputs().toList().get(15)).toolCalls().getFirst().arguments());
        ParsedOutput key = PARSER.parse(outputs().toList().get(16));
        assertEquals("{}", key.toolCalls().getFirst().arguments());
        assertEquals("<arg_key>qu", key.content());
        ParsedOutput name = PARSER.parse(outputs().toList().get(17));
        assertFalse(name.toolsCalled());
        assertEquals("<tool_call>get_wea", name.content());
        assertEquals("a <b> c < d\n\n<tool_call", PARSER.parse(outputs().toList().get(18)).content());
    }

    @Test
    void aCallOpeningInsideAKeyEndsTheCallBefore() {
        ParsedOutput out = PARSER.parse(outputs().toList().get(19));
        assertEquals(List.of(new ToolCall("call_r1_0", "f", "{}"), new ToolCall("call_r1_1", "g", "{\"y\":1}")),
                out.toolCalls());
        assertEquals("<arg_key>x", out.content());
    }

    @Test
    void textBetweenAndAfterCallsIsContentWithoutTheSeparatorNewlines() {
        ParsedOutput out = PARSER.parse(outputs().toList().get(20));
        assertEquals("before\nbetween\nafter", out.content());
        assertEquals(2, out.toolCalls().size());
    }

    @Test
    void overlongNamesAndKeysAreNotCalls() {
        ParsedOutput name = PARSER.parse(outputs().toList().get(21));
        assertFalse(name.toolsCalled());
        assertEquals(outputs().toList().get(21), name.content());
        ParsedOutput key = PARSER.parse(outputs().toList().get(22));
        assertEquals("{}", key.toolCalls().getFirst().arguments());
    }

    @Test
    void noCallsMeansAllContent() {
        ParsedOutput out = PARSER.parse("plain text, no calls at all \u00e9");
        assertEquals("plain text, no calls at all \u00e9", out.content());
        assertFalse(out.toolsCalled());
        assertNull(PARSER.parse("").content());
    }

    @ParameterizedTest
    @MethodSource("outputs")
    void everyChunkingAddsUpToTheWholeOutput(String output) throws Exception {
        ParsedOutput whole = PARSER.parse(output);
        for (List<String> chunks : Chunkings.of(output)) {
            ToolCallStream stream = PARSER.stream();
            List<StreamEvent> events = new ArrayList<>();
            for (String chunk : chunks) {
                events.addAll(stream.feed(chunk));
            }
            events.addAll(stream.finish());
            assertStreamMatches(whole, events, chunks);
        }
    }

    /** Events in a legal order, and they fold into exactly the non-streaming result. */
    static void assertStreamMatches(ParsedOutput whole, List<StreamEvent> events, List<String> chunks) throws Exception {
        int started = 0;
        for (StreamEvent event : events) {
            if (event instanceof StreamEvent.ToolCallStart start) {
                assertEquals(started++, start.index(), () -> "call order, chunks " + chunks);
            } else if (event instanceof StreamEvent.ToolCallArguments args) {
                assertEquals(started - 1, args.index(), () -> "arguments of the open call, chunks " + chunks);
            }
        }
        ParsedOutput streamed = ParsedOutput.collect(events);
        assertEquals(whole, streamed, () -> "chunks " + chunks);
        for (int i = 0; i < whole.toolCalls().size(); i++) {
            JsonNode parsed = JSON.readTree(streamed.toolCalls().get(i).arguments());
            assertTrue(parsed.isObject());
            assertEquals(JSON.readTree(whole.toolCalls().get(i).arguments()), parsed);
        }
    }

    @Test
    void contentIsHeldOnlyWhileItCouldBeACallOpening() {
        ToolCallStream stream = PARSER.stream();
        assertEquals(List.of(new StreamEvent.Content("Hello wor")), stream.feed("Hello wor"));
        assertEquals(List.of(new StreamEvent.Content("ld")), stream.feed("ld\n<tool"));
        assertEquals(List.of(new StreamEvent.Content("\n<tooling")), stream.feed("ing"));
        assertEquals(List.of(), stream.feed("\n<tool_call>get_wea"));
        assertEquals(List.of(new StreamEvent.ToolCallStart(0, "call_r1_0", "get_weather"),
                new StreamEvent.ToolCallArguments(0, "{")), stream.feed("ther\n<arg_key>city</arg_key>\n"));
        assertEquals(List.of(new StreamEvent.ToolCallArguments(0, "\"city\":\"Par")), stream.feed("<arg_value>Par"));
        assertEquals(List.of(new StreamEvent.ToolCallArguments(0, "is")), stream.feed("is \n</arg_va"));
        assertEquals(List.of(new StreamEvent.ToolCallArguments(0, "\"")), stream.feed("lue>"));
        assertEquals(List.of(new StreamEvent.ToolCallArguments(0, ",\"days\":")),
                stream.feed("<arg_key>days</arg_key><arg_value>1"));
        assertEquals(List.of(new StreamEvent.ToolCallArguments(0, "12")), stream.feed("2</arg_value>"));
        assertEquals(List.of(new StreamEvent.ToolCallArguments(0, "}")), stream.feed("</tool_call>"));
        assertEquals(List.of(), stream.finish());
    }
}
