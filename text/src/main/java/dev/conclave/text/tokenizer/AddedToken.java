package dev.conclave.text.tokenizer;

/**
 * One entry of {@code added_tokens}: text matched whole before pre-tokenization and mapped straight to its id.
 * {@code normalized} says whether it is looked for in the normalized text (true) or the raw input (false).
 */
record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                  boolean normalized) {
}
