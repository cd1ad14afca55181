package dev.conclave.text.tokenizer;

import dev.conclave.core.ConclaveException;

/**
 * A {@code tokenizer.json} that Conclave cannot reproduce exactly (malformed, or using a component it does not
 * implement), or an id/token the tokenizer does not know. The message names the file and the JSON field, because
 * a tokenizer that silently differs from Hugging Face's would corrupt every prompt without any visible failure.
 */
public class TokenizerException extends ConclaveException {

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
