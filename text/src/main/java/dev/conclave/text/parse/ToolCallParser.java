package dev.conclave.text.parse;

import java.util.ArrayList;
import java.util.List;

/**
 * GLM-4.5 tool-call parser for one request: the request's tool schemas type the argument values, and call
 * ids are {@code idPrefix + index}, so the streamed and the non-streamed form of one output name their calls
 * alike. The rules are in {@link ToolCallStream}.
 */
public final class ToolCallParser {
    private final ToolSchemas schemas;
    private final String idPrefix;

    /** @param idPrefix request-scoped, e.g. {@code "call_" + requestId + "_"}, so ids are unique per response */
    public ToolCallParser(ToolSchemas schemas, String idPrefix) {
        this.schemas = schemas;
        this.idPrefix = idPrefix;
    }

    /** Non-streaming: content outside the calls and the calls; {@code reasoning} is always {@code null}. */
    public ParsedOutput parse(String output) {
        ToolCallStream stream = stream();
        List<StreamEvent> events = new ArrayList<>(stream.feed(output));
        events.addAll(stream.finish());
        return ParsedOutput.collect(events);
    }

    public ToolCallStream stream() {
        return new ToolCallStream(schemas, idPrefix);
    }
}
