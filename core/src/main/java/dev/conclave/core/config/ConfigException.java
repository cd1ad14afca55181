package dev.conclave.core.config;

import dev.conclave.core.ConclaveException;

/** A {@code config.json} that Conclave cannot use; the message names the file and the field. */
public class ConfigException extends ConclaveException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
