package dev.conclave.cli;

import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.model.serving.TokenListener;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One real one-token generation through the serving engine. Loaded weights are not proof the model runs:
 * readiness is declared only after the whole path (prefill, sampling) worked once.
 */
final class FirstForwardPass {
    private FirstForwardPass() {
    }

    /** Blocks until the pass finished; throws with the engine's message when it failed. */
    static void run(TokenEngine engine) throws InterruptedException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        engine.submit(new GenerationRequest(new int[] {0}, 1, 0.0, 1.0, 0, 0L, Set.of()), new TokenListener() {
            @Override
            public void onToken(int id) {
            }

            @Override
            public void onFinish(FinishReason reason, Usage usage) {
                done.complete(null);
            }

            @Override
            public void onError(String message) {
                done.completeExceptionally(new IllegalStateException("the first forward pass failed: " + message));
            }
        });
        try {
            done.get();
        } catch (ExecutionException e) {
            throw (IllegalStateException) e.getCause();
        }
    }
}
