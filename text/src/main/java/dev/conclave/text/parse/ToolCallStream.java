package dev.conclave.text.parse;

import dev.conclave.text.JsonText;

import java.util.ArrayList;
import java.util.List;

/**
 * Incremental GLM-4.5 tool-call parser (spec §8.1–8.2), fed text deltas cut anywhere. It is also the
 * non-streaming parser (fed the whole output as one delta), so a streamed response always adds up to the
 * non-streamed one; the tests check that for every chunking.
 *
 * <p>Grammar: {@code <tool_call>NAME\n} then, separated by optional whitespace, any number of
 * {@code <arg_key>K</arg_key> <arg_value>V</arg_value>} pairs, then {@code </tool_call>}; between tags,
 * backslash-n counts as whitespace, as it does after the name. NAME is one word
 * (no whitespace inside, no {@code <}, at most {@value #MAX_NAME} characters, surrounding spaces allowed) ended
 * by a newline or by the two characters backslash-n; K has no {@code <} and at most {@value #MAX_KEY}
 * characters; V runs to the first {@code </arg_value>}. K and V are trimmed.
 *
 * <p>Streaming: text outside calls is content, emitted at once except for a tail that could still become
 * {@code "\n<tool_call>"}. The one newline right before {@code <tool_call>} is dropped: the template writes it
 * as a separator. A call is announced ({@link StreamEvent.ToolCallStart}) as soon as its name line is
 * complete, and its arguments stream as JSON fragments: the opening brace at once, each key when its
 * {@code <arg_value>} opens, string values (declared {@code "type":"string"}) escaped as they arrive, other
 * values typed by {@link ArgumentValues} when their {@code </arg_value>} arrives, the closing brace at the end.
 *
 * <p>Malformed text is never lost. Before the name line is complete nothing has been sent, so if the name
 * turns out invalid (a {@code <}, inner whitespace, too long, or the output ends) the {@code <tool_call>} tag
 * is emitted as content and the text after it is parsed again as ordinary output. Once announced, a call is
 * kept: if its body leaves the grammar, or the output ends inside it, the call is closed with the arguments
 * complete so far (a value cut off by the end of the output ends there), and the text not consumed into
 * arguments, including an {@code <arg_key>} whose value never opened, is parsed again as ordinary output.
 */
public final class ToolCallStream {
    static final String CALL_OPEN = "<tool_call>";
    static final String CALL_CLOSE = "</tool_call>";
    static final String KEY_OPEN = "<arg_key>";
    static final String KEY_CLOSE = "</arg_key>";
    static final String VALUE_OPEN = "<arg_value>";
    static final String VALUE_CLOSE = "</arg_value>";
    /** Bounds on text held back while deciding, so literal "<tool_call>" in prose cannot stall the stream. */
    static final int MAX_NAME = 256;
    static final int MAX_KEY = 256;

    private enum State { OUTSIDE, NAME, BODY, KEY, BEFORE_VALUE, STRING_VALUE, TYPED_VALUE }

    private final ToolSchemas schemas;
    private final String idPrefix;
    private final StringBuilder pending = new StringBuilder();
    private State state = State.OUTSIDE;
    private List<StreamEvent> out = new ArrayList<>();

    /** The opening tag as it appeared (with its separator newline), content again if no call follows. */
    private String callOpening;
    private int callIndex;
    private String name;
    private int argCount;
    private String key;
    /** The raw {@code <arg_key>K</arg_key>}, parsed again as output if no value follows it. */
    private String keyText;
    private boolean valueStarted;

    ToolCallStream(ToolSchemas schemas, String idPrefix) {
        this.schemas = schemas;
        this.idPrefix = idPrefix;
    }

    public List<StreamEvent> feed(String text) {
        pending.append(text);
        return drain(false);
    }

    /** Ends the output: held-back text is released and an open call is closed. */
    public List<StreamEvent> finish() {
        return drain(true);
    }

    private List<StreamEvent> drain(boolean end) {
        boolean progress = true;
        while (progress) {
            progress = switch (state) {
                case OUTSIDE -> outside(end);
                case NAME -> name(end);
                case BODY -> body(end);
                case KEY -> key(end);
                case BEFORE_VALUE -> beforeValue(end);
                case STRING_VALUE -> stringValue(end);
                case TYPED_VALUE -> typedValue(end);
            };
        }
        List<StreamEvent> events = out;
        out = new ArrayList<>();
        return events;
    }

    private boolean outside(boolean end) {
        int at = pending.indexOf(CALL_OPEN);
        if (at >= 0) {
            boolean separator = at > 0 && pending.charAt(at - 1) == '\n';
            content(pending.substring(0, separator ? at - 1 : at));
            callOpening = (separator ? "\n" : "") + CALL_OPEN;
            pending.delete(0, at + CALL_OPEN.length());
            state = State.NAME;
            return true;
        }
        int emit = end ? pending.length() : pending.length() - Tags.heldSuffix(pending, "\n" + CALL_OPEN, CALL_OPEN);
        content(pending.substring(0, emit));
        pending.delete(0, emit);
        return false;
    }

    private boolean name(boolean end) {
        boolean sawName = false;
        boolean trailing = false;
        for (int i = 0; i < pending.length(); i++) {
            if (i >= MAX_NAME) {
                return abandonOpening();
            }
            char c = pending.charAt(i);
            if (c == '\n') {
                return startCall(i, 1);
            }
            if (c == '\\') {
                if (i + 1 == pending.length()) {
                    break;
                }
                return pending.charAt(i + 1) == 'n' ? startCall(i, 2) : abandonOpening();
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                trailing = sawName;
                continue;
            }
            if (c == '<' || trailing) {
                return abandonOpening();
            }
            sawName = true;
        }
        return end && abandonOpening();
    }

    private boolean startCall(int nameEnd, int terminator) {
        String candidate = Tags.strip(pending.substring(0, nameEnd));
        if (candidate.isEmpty()) {
            return abandonOpening();
        }
        name = candidate;
        argCount = 0;
        pending.delete(0, nameEnd + terminator);
        out.add(new StreamEvent.ToolCallStart(callIndex, idPrefix + callIndex, name));
        arguments("{");
        state = State.BODY;
        return true;
    }

    private boolean abandonOpening() {
        content(callOpening);
        state = State.OUTSIDE;
        return true;
    }

    private boolean body(boolean end) {
        int at = Tags.skipSeparators(pending, 0);
        if (Tags.startsWith(pending, at, KEY_OPEN)) {
            pending.delete(0, at + KEY_OPEN.length());
            state = State.KEY;
            return true;
        }
        if (Tags.startsWith(pending, at, CALL_CLOSE)) {
            pending.delete(0, at + CALL_CLOSE.length());
            return closeCall();
        }
        if (!end && (Tags.isProperPrefix(pending, at, KEY_OPEN) || Tags.isProperPrefix(pending, at, CALL_CLOSE)
                || Tags.isProperPrefix(pending, at, "\\n"))) {
            return false;
        }
        return closeCall();
    }

    private boolean key(boolean end) {
        int lt = pending.indexOf("<");
        if (lt < 0) {
            return (end || pending.length() > MAX_KEY) && handBack(KEY_OPEN);
        }
        if (lt > MAX_KEY) {
            return handBack(KEY_OPEN);
        }
        if (Tags.startsWith(pending, lt, KEY_CLOSE)) {
            int consumed = lt + KEY_CLOSE.length();
            key = Tags.strip(pending.substring(0, lt));
            keyText = KEY_OPEN + pending.substring(0, consumed);
            pending.delete(0, consumed);
            state = State.BEFORE_VALUE;
            return true;
        }
        return (end || !Tags.isProperPrefix(pending, lt, KEY_CLOSE)) && handBack(KEY_OPEN);
    }

    private boolean beforeValue(boolean end) {
        int at = Tags.skipSeparators(pending, 0);
        if (Tags.startsWith(pending, at, VALUE_OPEN)) {
            pending.delete(0, at + VALUE_OPEN.length());
            boolean string = schemas.isString(name, key);
            arguments((argCount > 0 ? "," : "") + JsonText.quote(key) + ":" + (string ? "\"" : ""));
            argCount++;
            valueStarted = false;
            state = string ? State.STRING_VALUE : State.TYPED_VALUE;
            return true;
        }
        boolean undecided = Tags.isProperPrefix(pending, at, VALUE_OPEN) || Tags.isProperPrefix(pending, at, "\\n");
        return (end || !undecided) && handBack(keyText);
    }

    private boolean stringValue(boolean end) {
        if (!valueStarted) {
            pending.delete(0, Tags.skipSpace(pending, 0));
            if (pending.isEmpty() && !end) {
                return false;
            }
            valueStarted = true;
        }
        int close = pending.indexOf(VALUE_CLOSE);
        if (close >= 0 || end) {
            int stop = close >= 0 ? close : pending.length();
            arguments(escaped(Tags.stripTrailing(pending.substring(0, stop))) + "\"");
            pending.delete(0, close >= 0 ? close + VALUE_CLOSE.length() : stop);
            state = State.BODY;
            return true;
        }
        // Trailing whitespace waits too: it is trimmed if the value ends right after it.
        int emit = pending.length() - Tags.heldSuffix(pending, VALUE_CLOSE);
        while (emit > 0 && Tags.isSpace(pending.charAt(emit - 1))) {
            emit--;
        }
        arguments(escaped(pending.substring(0, emit)));
        pending.delete(0, emit);
        return false;
    }

    private boolean typedValue(boolean end) {
        int close = pending.indexOf(VALUE_CLOSE);
        if (close < 0 && !end) {
            return false;
        }
        int stop = close >= 0 ? close : pending.length();
        arguments(ArgumentValues.toJson(Tags.strip(pending.substring(0, stop))));
        pending.delete(0, close >= 0 ? close + VALUE_CLOSE.length() : stop);
        state = State.BODY;
        return true;
    }

    /** Closes the open call; text consumed into it but not into its arguments is output again. */
    private boolean handBack(String consumed) {
        pending.insert(0, consumed);
        return closeCall();
    }

    private boolean closeCall() {
        arguments("}");
        callIndex++;
        state = State.OUTSIDE;
        return true;
    }

    private static String escaped(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        JsonText.appendEscaped(sb, s);
        return sb.toString();
    }

    private void content(String text) {
        if (text.isEmpty()) {
            return;
        }
        if (!out.isEmpty() && out.getLast() instanceof StreamEvent.Content(String previous)) {
            out.set(out.size() - 1, new StreamEvent.Content(previous + text));
        } else {
            out.add(new StreamEvent.Content(text));
        }
    }

    private void arguments(String fragment) {
        if (fragment.isEmpty()) {
            return;
        }
        if (!out.isEmpty() && out.getLast() instanceof StreamEvent.ToolCallArguments(int index, String previous)
                && index == callIndex) {
            out.set(out.size() - 1, new StreamEvent.ToolCallArguments(index, previous + fragment));
        } else {
            out.add(new StreamEvent.ToolCallArguments(callIndex, fragment));
        }
    }
}
