package dev.conclave.dispatch;

import dev.conclave.core.ConclaveException;

/** A step the data plane could not carry: a peer not connected, back-pressured too long, failed or silent. */
public final class DataPlaneException extends ConclaveException {

    public DataPlaneException(String message) {
        super(message);
    }
}
