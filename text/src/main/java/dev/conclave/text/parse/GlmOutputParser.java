package dev.conclave.text.parse;

/**
 * The whole GLM-4.5 output parser: reasoning first, then tool calls on what is left as content (spec §8.3,
 * last line), so a {@code <tool_call>} inside the reasoning is only reasoning.
 */
public final class GlmOutputParser {
    private final ToolCallParser tools;

    public GlmOutputParser(ToolCallParser tools) {
        this.tools = tools;
    }

    public ParsedOutput parse(String output) {
        ReasoningParser.Split split = ReasoningParser.parse(output);
        ParsedOutput parsed = tools.parse(split.content() == null ? "" : split.content());
        return new ParsedOutput(split.reasoning(), parsed.content(), parsed.toolCalls());
    }

    public GlmOutputStream stream() {
        return new GlmOutputStream(ReasoningParser.stream(), tools.stream());
    }
}
