package dev.conclave.api.generation;

/** The engine ended a request with an error; each API reports it in its own way (HTTP 500, gRPC INTERNAL). */
public final class GenerationFailedException extends RuntimeException {

    public GenerationFailedException(String message) {
        super(message);
    }
}
