package dev.conclave.placement;

import dev.conclave.core.ConclaveException;

/** A placement that cannot be used: unreadable, malformed, or not fitting the model; the message says where. */
public class PlacementException extends ConclaveException {

    public PlacementException(String message) {
        super(message);
    }

    public PlacementException(String message, Throwable cause) {
        super(message, cause);
    }
}
