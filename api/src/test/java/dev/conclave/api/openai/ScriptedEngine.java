package dev.conclave.api.openai;

import dev.conclave.model.MtpStats;
import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.model.serving.TokenListener;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A fake engine that replays a scripted id sequence on its own thread, honouring the request's token limit
 * and cancellation, or fails every request with a scripted error.
 */
public final class ScriptedEngine implements TokenEngine {
    public volatile int[] script = new int[0];
    public volatile String error;
    public volatile boolean endless;
    public volatile GenerationRequest lastRequest;
    /** Scripts of successive turns: while any is left, each request replays the next instead of {@link #script}. */
    public final Queue<int[]> turns = new ConcurrentLinkedQueue<>();
    /** Every request submitted, in order. */
    public final List<GenerationRequest> requests = new CopyOnWriteArrayList<>();
    /** When set, every usage reports these MTP counters and a decode time of 0.5 s. */
    public volatile MtpStats mtp;
    public final CountDownLatch cancelled = new CountDownLatch(1);

    @Override
    public Handle submit(GenerationRequest request, TokenListener listener) {
        lastRequest = request;
        requests.add(request);
        int[] turn = turns.poll();
        int[] replay = turn != null ? turn : script;
        AtomicBoolean cancel = new AtomicBoolean();
        if (error != null) {
            listener.onError(error);
            return () -> { };
        }
        Thread.ofVirtual().start(() -> {
            int n = 0;
            while (endless || n < replay.length) {
                if (cancel.get()) {
                    listener.onFinish(TokenListener.FinishReason.CANCELLED, usage(request, n));
                    return;
                }
                if (n == request.maxTokens()) {
                    listener.onFinish(TokenListener.FinishReason.LENGTH, usage(request, n));
                    return;
                }
                int id = endless ? 'x' : replay[n];
                listener.onToken(id);
                n++;
                if (request.stopIds().contains(id)) {
                    listener.onFinish(TokenListener.FinishReason.STOP, usage(request, n));
                    return;
                }
                if (endless) {
                    sleep();
                }
            }
            listener.onFinish(TokenListener.FinishReason.STOP, usage(request, n));
        });
        return () -> {
            cancel.set(true);
            cancelled.countDown();
        };
    }

    private TokenListener.Usage usage(GenerationRequest request, int n) {
        return mtp == null ? new TokenListener.Usage(request.prompt().length, n)
                : new TokenListener.Usage(request.prompt().length, n, mtp, 500_000_000L);
    }

    private static void sleep() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public int vocab() {
        return TinyTokenizer.VOCAB;
    }

    @Override
    public void close() {
    }
}
