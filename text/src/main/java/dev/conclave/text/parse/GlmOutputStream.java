package dev.conclave.text.parse;

import java.util.ArrayList;
import java.util.List;

/** Incremental {@link GlmOutputParser}: the reasoning stream's content deltas feed the tool-call stream. */
public final class GlmOutputStream {
    private final ReasoningStream reasoning;
    private final ToolCallStream tools;

    GlmOutputStream(ReasoningStream reasoning, ToolCallStream tools) {
        this.reasoning = reasoning;
        this.tools = tools;
    }

    public List<StreamEvent> feed(String text) {
        return route(reasoning.feed(text), false);
    }

    public List<StreamEvent> finish() {
        return route(reasoning.finish(), true);
    }

    private List<StreamEvent> route(ReasoningParser.Delta delta, boolean end) {
        List<StreamEvent> events = new ArrayList<>();
        if (!delta.reasoning().isEmpty()) {
            events.add(new StreamEvent.Reasoning(delta.reasoning()));
        }
        events.addAll(tools.feed(delta.content()));
        if (end) {
            events.addAll(tools.finish());
        }
        return events;
    }
}
