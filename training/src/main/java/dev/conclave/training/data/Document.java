package dev.conclave.training.data;

/**
 * One tokenized training document: its token ids and the loss mask over them. {@code lossMask[t]} says whether
 * predicting {@code tokens[t]} from {@code tokens[0..t)} counts in the loss (SFT: the assistant's tokens and the
 * role token that ends its turn; pretraining text: every token but the first). {@code source} is
 * {@code file:line}, for error messages.
 */
public record Document(int[] tokens, boolean[] lossMask, String source) {

    public Document {
        if (tokens.length != lossMask.length) {
            throw new IllegalArgumentException(source + ": " + tokens.length + " tokens but " + lossMask.length + " mask entries");
        }
        if (tokens.length == 0) {
            throw new DataException(source + ": empty document");
        }
    }

    public int length() {
        return tokens.length;
    }

    /** How many tokens count in the loss. */
    public int maskedTokens() {
        return count(lossMask);
    }

    /** How many entries of a loss mask are set. */
    static int count(boolean[] mask) {
        int n = 0;
        for (boolean m : mask) {
            if (m) {
                n++;
            }
        }
        return n;
    }
}
