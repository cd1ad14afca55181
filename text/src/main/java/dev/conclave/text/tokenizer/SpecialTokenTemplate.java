package dev.conclave.text.tokenizer;

/**
 * What the post-processor adds around one encoded sequence when special tokens are requested: the ids of a
 * {@code TemplateProcessing} {@code single} template before and after {@code $A}. {@code ByteLevel} post-processing
 * only trims offsets, which Conclave does not track, so it contributes nothing.
 */
record SpecialTokenTemplate(int[] prefix, int[] suffix) {

    static final SpecialTokenTemplate NONE = new SpecialTokenTemplate(new int[0], new int[0]);
}
