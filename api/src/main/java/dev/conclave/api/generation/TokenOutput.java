package dev.conclave.api.generation;

import dev.conclave.text.parse.GlmOutputStream;
import dev.conclave.text.parse.StreamEvent;
import dev.conclave.text.tokenizer.StreamingDecoder;
import dev.conclave.text.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns generated ids into response events: decode, parse (chat only), then cut the content at a stop string.
 * Streaming and non-streaming responses both come from these events, so they always agree.
 */
public final class TokenOutput {
    private final StreamingDecoder decoder;
    private final GlmOutputStream parser;
    private final Set<Integer> eosIds;
    private final StopMatcher stops;

    /**
     * @param parser null for raw text completions. Special tokens are decoded, not skipped: GLM's think and
     *               tool-call tags are added tokens the parser must see; the end-of-turn ids are left out.
     */
    public TokenOutput(Tokenizer tokenizer, GlmOutputStream parser, Set<Integer> eosIds, List<String> stops) {
        this.decoder = tokenizer.streamingDecoder(false);
        this.parser = parser;
        this.eosIds = eosIds;
        this.stops = new StopMatcher(stops);
    }

    public List<StreamEvent> next(int id) {
        return eosIds.contains(id) ? List.of() : parse(decoder.next(id));
    }

    public List<StreamEvent> finish() {
        List<StreamEvent> events = new ArrayList<>(parse(decoder.finish()));
        if (parser != null) {
            events.addAll(cut(parser.finish()));
        }
        String rest = stops.flush();
        if (!rest.isEmpty() && !stops.stopped()) {
            events.add(new StreamEvent.Content(rest));
        }
        return events;
    }

    /** Whether a stop string ended the content: generation should be cancelled. */
    public boolean stopped() {
        return stops.stopped();
    }

    private List<StreamEvent> parse(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        return cut(parser == null ? List.of(new StreamEvent.Content(text)) : parser.feed(text));
    }

    private List<StreamEvent> cut(List<StreamEvent> events) {
        List<StreamEvent> out = new ArrayList<>();
        for (StreamEvent event : events) {
            if (stops.stopped()) {
                break;
            }
            if (event instanceof StreamEvent.Content(String text)) {
                String ready = stops.feed(text);
                if (!ready.isEmpty()) {
                    out.add(new StreamEvent.Content(ready));
                }
            } else {
                // Held text cannot join a stop string across a tool call or reasoning: it is content now.
                String held = stops.flush();
                if (!held.isEmpty()) {
                    out.add(new StreamEvent.Content(held));
                }
                out.add(event);
            }
        }
        return out;
    }
}
