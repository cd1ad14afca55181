package dev.conclave.text.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** One stage of Hugging Face pre-tokenization: cuts (and may rewrite) a piece of text into smaller pieces. */
interface PreTokenizer {

    /** Appends the non-empty pieces of {@code piece} to {@code out}, in order. */
    void split(String piece, List<String> out);

    /** Stages applied one after another to every piece the previous stage produced (HF {@code Sequence}). */
    static PreTokenizer sequence(List<PreTokenizer> stages) {
        return (piece, out) -> {
            List<String> pieces = List.of(piece);
            for (PreTokenizer stage : stages) {
                List<String> next = new ArrayList<>();
                for (String p : pieces) {
                    stage.split(p, next);
                }
                pieces = next;
            }
            out.addAll(pieces);
        };
    }
}
