package dev.conclave.core;

/**
 * Base of every error Conclave reports about its inputs (configs, checkpoints, requests). Unchecked,
 * because a caller can rarely recover from a bad model file; the message is what matters.
 */
public class ConclaveException extends RuntimeException {

    public ConclaveException(String message) {
        super(message);
    }

    public ConclaveException(String message, Throwable cause) {
        super(message, cause);
    }
}
