package dev.conclave.core.checkpoint;

import dev.conclave.core.ConclaveException;

/** A checkpoint file or folder that Conclave cannot use; the message names the file and, where relevant, the tensor. */
public class CheckpointException extends ConclaveException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
