package dev.conclave.api.generation;

import dev.conclave.model.serving.TokenListener.FinishReason;
import dev.conclave.model.serving.TokenListener.Usage;
import dev.conclave.text.parse.StreamEvent;

import java.io.IOException;
import java.util.List;

/**
 * Drives one generation to its end: ids become events for the sink, a stop string or a failed write (the
 * client went away) cancels the request in the engine, and an engine error surfaces as a
 * {@link GenerationFailedException}. Shared by the HTTP and gRPC APIs so both decode, parse and stop alike.
 */
public final class GenerationLoop {

    /** Where the events go: collected for a whole response, or written out as they come. */
    public interface Sink {
        /** Called once, at the engine's first sign of life, so a request refused at once can still get a 500. */
        void start() throws IOException;

        /** Each generated id before its events, for APIs that send ids as well as text. */
        default void token(int id) throws IOException {
        }

        void accept(List<StreamEvent> events) throws IOException;
    }

    /** How a generation ended: OpenAI's "stop" or "length", and the engine's token counts. */
    public record Outcome(String finishReason, Usage usage) {
    }

    private GenerationLoop() {
    }

    public static Outcome run(Generation generation, TokenOutput output, Sink sink) throws IOException {
        boolean started = false;
        boolean cut = false;
        try {
            while (true) {
                Generation.Event event = generation.next();
                if (!started && !(event instanceof Generation.Failed)) {
                    started = true;
                    sink.start();
                }
                switch (event) {
                    case Generation.Token(int id) -> {
                        if (!cut) {
                            sink.token(id);
                            sink.accept(output.next(id));
                            if (output.stopped()) {
                                // The rest of the answer is not wanted; the engine still reports its usage.
                                cut = true;
                                generation.cancel();
                            }
                        }
                    }
                    case Generation.Finished(FinishReason reason, Usage usage) -> {
                        sink.accept(output.finish());
                        return new Outcome(reason == FinishReason.LENGTH && !cut ? "length" : "stop", usage);
                    }
                    case Generation.Failed(String message) ->
                            throw new GenerationFailedException("generation failed: " + message);
                }
            }
        } catch (IOException | RuntimeException e) {
            generation.cancel();
            throw e;
        } catch (InterruptedException e) {
            generation.cancel();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating", e);
        }
    }
}
