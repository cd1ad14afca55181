package dev.conclave.text.parse;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReasoningParserTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("\n<think>greet</think>\nHello!", "greet", "Hello!"),
                Arguments.of("<think>greet</think>Hello!", "greet", "Hello!"),
                Arguments.of("\n<think>a\n\nb</think>\n\nHello", "a\n\nb", "\nHello"),
                Arguments.of("\nHello!", null, "Hello!"),
                Arguments.of("Hello <think>not reasoning</think> world", null,
                        "Hello <think>not reasoning</think> world"),
                Arguments.of("\n<think></think>\nHi", null, "Hi"),
                Arguments.of("\n<think>only reasoning</think>", "only reasoning", null),
                Arguments.of("\n<think>cut off by max_tokens </thi", "cut off by max_tokens </thi", null),
                Arguments.of("\n<think>a <think> b</think>c</think>d", "a <think> b", "c</think>d"),
                Arguments.of("\n<thi", null, "<thi"),
                Arguments.of("\n", null, null),
                Arguments.of("", null, null),
                Arguments.of("\n\n<think>x</think>y", null, "\n<think>x</think>y"),
                Arguments.of("\n<think>\u00e9\u4e2d\ud83d\ude00 < > </ </think\n</think>\n\u00fc", "\u00e9\u4e2d\ud83d\ude00 < > </ </think\n",
                        "\u00fc"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void parsesWholeOutput(String output, String reasoning, String content) {
        assertEquals(new ReasoningParser.Split(reasoning, content), ReasoningParser.parse(output));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everyChunkingAddsUpToTheWholeOutput(String output, String reasoning, String content) {
        for (List<String> chunks : Chunkings.of(output)) {
            ReasoningStream stream = ReasoningParser.stream();
            StringBuilder r = new StringBuilder();
            StringBuilder c = new StringBuilder();
            for (String chunk : chunks) {
                ReasoningParser.Delta d = stream.feed(chunk);
                r.append(d.reasoning());
                c.append(d.content());
            }
            ReasoningParser.Delta d = stream.finish();
            r.append(d.reasoning());
            c.append(d.content());
            assertEquals(new ReasoningParser.Split(reasoning, content),
                    new ReasoningParser.Split(ReasoningParser.nullIfEmpty(r.toString()),
                            ReasoningParser.nullIfEmpty(c.toString())), () -> "chunks " + chunks);
        }
    }

    @Test
    void holdsBackOnlyWhatCouldBeATag() {
        ReasoningStream stream = ReasoningParser.stream();
        assertEquals(new ReasoningParser.Delta("", ""), stream.feed("\n<th"));
        assertEquals(new ReasoningParser.Delta("abc", ""), stream.feed("ink>abc"));
        assertEquals(new ReasoningParser.Delta(" x", ""), stream.feed(" x</thi"));
        assertEquals(new ReasoningParser.Delta("</thi", ""), stream.feed("<"));
        assertEquals(new ReasoningParser.Delta("", ""), stream.feed("/think>"));
        assertEquals(new ReasoningParser.Delta("", "Hi"), stream.feed("\nHi"));
        assertEquals(new ReasoningParser.Delta("", " <think>"), stream.feed(" <think>"));
    }

    @Test
    void contentWithoutThinkingStreamsAtOnce() {
        ReasoningStream stream = ReasoningParser.stream();
        assertEquals(new ReasoningParser.Delta("", "Hello"), stream.feed("\nHello"));
        assertEquals(new ReasoningParser.Delta("", " <"), stream.feed(" <"));
    }
}
