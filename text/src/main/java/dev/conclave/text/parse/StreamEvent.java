package dev.conclave.text.parse;

/**
 * One piece of a streamed, parsed model output, in the order an OpenAI streaming response sends them. For a
 * tool call, {@link ToolCallStart} comes once, then {@link ToolCallArguments} fragments whose concatenation
 * is the call's complete arguments JSON object.
 */
public sealed interface StreamEvent {
    record Reasoning(String text) implements StreamEvent {
    }

    record Content(String text) implements StreamEvent {
    }

    record ToolCallStart(int index, String id, String name) implements StreamEvent {
    }

    record ToolCallArguments(int index, String fragment) implements StreamEvent {
    }
}
