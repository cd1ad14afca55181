package dev.conclave.text.parse;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed model output, as a non-streaming OpenAI response carries it: {@code reasoning_content},
 * {@code content} ({@code null} when empty) and {@code tool_calls}.
 */
public record ParsedOutput(String reasoning, String content, List<ToolCall> toolCalls) {

    public ParsedOutput {
        toolCalls = List.copyOf(toolCalls);
    }

    /** Folds a stream's events into the response they add up to. */
    public static ParsedOutput collect(List<StreamEvent> events) {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        List<String[]> calls = new ArrayList<>();
        List<StringBuilder> arguments = new ArrayList<>();
        for (StreamEvent event : events) {
            switch (event) {
                case StreamEvent.Reasoning(String text) -> reasoning.append(text);
                case StreamEvent.Content(String text) -> content.append(text);
                case StreamEvent.ToolCallStart(int index, String id, String name) -> {
                    calls.add(index, new String[] {id, name});
                    arguments.add(index, new StringBuilder());
                }
                case StreamEvent.ToolCallArguments(int index, String fragment) -> arguments.get(index).append(fragment);
            }
        }
        List<ToolCall> toolCalls = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            toolCalls.add(new ToolCall(calls.get(i)[0], calls.get(i)[1], arguments.get(i).toString()));
        }
        return new ParsedOutput(ReasoningParser.nullIfEmpty(reasoning.toString()),
                ReasoningParser.nullIfEmpty(content.toString()), toolCalls);
    }

    public boolean toolsCalled() {
        return !toolCalls.isEmpty();
    }
}
