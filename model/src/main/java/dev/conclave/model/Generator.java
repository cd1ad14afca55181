package dev.conclave.model;

import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/** Single-sequence generation: one prefill step over the prompt, then one decode step per token. */
public final class Generator {

    private final InProcessPipeline pipeline;

    public Generator(InProcessPipeline pipeline) {
        this.pipeline = pipeline;
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt}, stopping after any id in {@code stopIds}
     * (it is included in the result) or when the context reaches {@code max_position_embeddings};
     * {@code onToken} sees each id as it is produced.
     */
    public int[] generate(int[] prompt, int maxTokens, Sampler sampler, Set<Integer> stopIds, IntConsumer onToken) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt needs at least one token");
        }
        maxTokens = ContextBudget.tokens(prompt.length, maxTokens, pipeline.config().maxPositionEmbeddings());
        Sequence seq = pipeline.newSequence();
        int[] out = new int[maxTokens];
        int produced = 0;
        int[] next = prompt;
        while (produced < maxTokens) {
            var step = pipeline.step(List.of(seq), List.of(next), InProcessPipeline.Logits.LAST_PER_SEQUENCE);
            int token = sampler.sample(step.logitsOf(0, pipeline.vocab()));
            out[produced++] = token;
            onToken.accept(token);
            if (stopIds.contains(token)) {
                break;
            }
            next = new int[] {token};
        }
        return java.util.Arrays.copyOf(out, produced);
    }
}
