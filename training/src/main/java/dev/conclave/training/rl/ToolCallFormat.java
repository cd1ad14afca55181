package dev.conclave.training.rl;

import dev.conclave.text.parse.GlmOutputParser;
import dev.conclave.text.parse.ParsedOutput;
import dev.conclave.text.parse.ToolCallParser;
import dev.conclave.text.parse.ToolSchemas;

import java.util.List;

/**
 * Reward 1 iff the completion makes at least one tool call and every call is well-formed GLM-4.5 XML
 * ({@code <tool_call>NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>…</tool_call>}); 0 otherwise: the
 * report's format penalty (a malformed call halts the trace with reward 0). The answer is not used.
 *
 * <p>Calls are read by the text module's parser. That parser never loses text: a call whose body leaves the
 * grammar is closed early and the rest is handed back as content, a call cut off by the end of the output
 * is closed with what it has. So a completion is well-formed exactly when every call the parser found was
 * closed by its own {@code </tool_call>} and no call tag is left over outside the calls.
 */
public final class ToolCallFormat implements Verifier {
    private static final List<String> TAGS =
            List.of("<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>");

    private final GlmOutputParser parser = new GlmOutputParser(new ToolCallParser(ToolSchemas.none(), "call_"));

    @Override
    public double score(String completion, String answer) {
        return calls(completion) == null ? 0 : 1;
    }

    /** The completion's tool calls if they are all well-formed and there is at least one, else {@code null}. */
    ParsedOutput calls(String completion) {
        String content = AnswerText.content(completion);
        ParsedOutput parsed = parser.parse(completion);
        int calls = parsed.toolCalls().size();
        if (calls == 0 || count(content, "<tool_call>") != calls || count(content, "</tool_call>") != calls
                || count(content, "<arg_key>") != count(content, "</arg_key>")
                || count(content, "<arg_value>") != count(content, "</arg_value>")) {
            return null;
        }
        String outside = parsed.content() == null ? "" : parsed.content();
        for (String tag : TAGS) {
            if (outside.contains(tag)) {
                return null;
            }
        }
        return parsed;
    }

    private static int count(String text, String tag) {
        int n = 0;
        for (int at = text.indexOf(tag); at >= 0; at = text.indexOf(tag, at + tag.length())) {
            n++;
        }
        return n;
    }
}
