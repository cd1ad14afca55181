package dev.conclave.api.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The one way this API refuses a request it cannot serve as asked: INVALID_ARGUMENT with the reason. */
final class Invalid {

    private Invalid() {
    }

    static StatusRuntimeException argument(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
