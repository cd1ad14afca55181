package dev.conclave.training.data;

import dev.conclave.core.ConclaveException;

/** Training data Conclave cannot use; the message names the file and line and, where relevant, the field. */
public class DataException extends ConclaveException {

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
