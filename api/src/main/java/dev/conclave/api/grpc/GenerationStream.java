package dev.conclave.api.grpc;

import dev.conclave.api.generation.Generation;
import dev.conclave.api.generation.GenerationFailedException;
import dev.conclave.api.generation.GenerationLoop;
import dev.conclave.api.generation.TokenOutput;
import dev.conclave.model.serving.GenerationRequest;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.model.serving.TokenListener.Usage;
import dev.conclave.text.parse.StreamEvent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;

import java.util.List;

/**
 * Serves one streaming call: submits the generation, then sends its request id, its pieces and its finish
 * from a virtual thread of its own, through the same {@link GenerationLoop} as the HTTP API. A client that
 * cancels cancels the generation in the engine.
 */
final class GenerationStream {

    /** How one RPC spells the loop's output as its response messages. */
    interface Encoder<R> {
        R started(String requestId);

        /** An id the engine generated; its text arrives with the next {@link #pieces} call. */
        void token(int id);

        List<R> pieces(List<StreamEvent> events);

        R finished(String finishReason, Usage usage);
    }

    private GenerationStream() {
    }

    static <R> void start(ServerCallStreamObserver<R> responses, TokenEngine engine, RunningRequests running,
                          String idPrefix, GenerationRequest request, TokenOutput output, Encoder<R> encoder) {
        Generation generation = Generation.submit(engine, request);
        String id = running.add(idPrefix, generation);
        // Must be set before the handler returns; gRPC calls it on client cancel or deadline.
        responses.setOnCancelHandler(() -> {
            running.finish(id);
            generation.cancel();
        });
        Thread.ofVirtual().name("grpc-" + id).start(() -> serve(responses, running, id, generation, output, encoder));
    }

    private static <R> void serve(ServerCallStreamObserver<R> responses, RunningRequests running, String id,
                                  Generation generation, TokenOutput output, Encoder<R> encoder) {
        try {
            responses.onNext(encoder.started(id));
            GenerationLoop.Outcome outcome = GenerationLoop.run(generation, output, new GenerationLoop.Sink() {
                @Override
                public void start() {
                }

                @Override
                public void token(int tokenId) {
                    encoder.token(tokenId);
                }

                @Override
                public void accept(List<StreamEvent> events) {
                    encoder.pieces(events).forEach(responses::onNext);
                }
            });
            String reason = running.finish(id) ? outcome.finishReason() : "abort";
            responses.onNext(encoder.finished(reason, outcome.usage()));
            responses.onCompleted();
        } catch (GenerationFailedException e) {
            running.finish(id);
            responses.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
        } catch (StatusRuntimeException e) {
            // Writing failed because the client cancelled: the generation is cancelled, nobody is listening.
            running.finish(id);
        } catch (Exception e) {
            running.finish(id);
            responses.onError(Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
        }
    }
}
