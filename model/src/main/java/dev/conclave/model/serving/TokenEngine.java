package dev.conclave.model.serving;


/**
 * The serving engine seen from the API layer: requests go in as token ids and come out as token ids,
 * scheduled together (continuous batching) with the other requests in flight.
 */
public interface TokenEngine extends AutoCloseable {

    /**
     * Queues a request. It is refused at once (through {@link TokenListener#onError}) when it can never fit
     * the context or the KV-cache budget; otherwise it waits for room and then runs.
     */
    Handle submit(GenerationRequest request, TokenListener listener);

    /** Vocabulary size of the model. */
    int vocab();

    /** Counters over the engine's finished requests. */
    default EngineStats stats() {
        return EngineStats.NONE;
    }

    @Override
    void close();

    /** A submitted request; cancelling ends it with {@link TokenListener.FinishReason#CANCELLED}. */
    interface Handle {
        void cancel();
    }
}
