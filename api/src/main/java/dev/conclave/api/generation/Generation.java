package dev.conclave.api.generation;

import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.model.serving.TokenListener;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One request in the engine, seen as a queue of events the request's own (virtual) thread takes: the engine
 * thread only enqueues, as {@link TokenListener} asks, and all decoding and writing happens off it.
 */
public final class Generation implements TokenListener {

    public sealed interface Event {
    }

    public record Token(int id) implements Event {
    }

    public record Finished(FinishReason reason, Usage usage) implements Event {
    }

    public record Failed(String message) implements Event {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile TokenEngine.Handle handle;

    public static Generation submit(TokenEngine engine, GenerationRequest request) {
        Generation g = new Generation();
        g.handle = engine.submit(request, g);
        return g;
    }

    public Event next() throws InterruptedException {
        return events.take();
    }

    public void cancel() {
        handle.cancel();
    }

    @Override
    public void onToken(int id) {
        events.add(new Token(id));
    }

    @Override
    public void onFinish(FinishReason reason, Usage usage) {
        events.add(new Finished(reason, usage));
    }

    @Override
    public void onError(String message) {
        events.add(new Failed(message));
    }
}
