package dev.conclave.model;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Single-sequence generation: one prefill step over the prompt, then one decode step per token, or with
 * {@code drafts} > 0 one MTP-speculative step per accepted run of tokens ({@link DecodeStep}).
 */
public final class Generator {

    private final StepPipeline pipeline;
    private final DecodeStep step;
    private MtpStats lastStats;

    public Generator(StepPipeline pipeline) {
        this(pipeline, 0);
    }

    public Generator(StepPipeline pipeline, int drafts) {
        this.pipeline = pipeline;
        this.step = new DecodeStep(pipeline, drafts);
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
        DecodeStep.Lane lane = step.lane(prompt, sampler, maxTokens);
        try {
            int[] out = new int[maxTokens];
            int produced = 0;
            int[] chunk = {prompt.length};
            while (lane.remaining() > 0) {
                step.run(List.of(lane), chunk);
                for (int token : lane.emitted()) {
                    out[produced++] = token;
                    onToken.accept(token);
                    if (stopIds.contains(token)) {
                        return Arrays.copyOf(out, produced);
                    }
                }
            }
            return Arrays.copyOf(out, produced);
        } finally {
            lastStats = lane.stats();
            lane.sequence().release();
        }
    }

    /** The speculation counters of the last {@link #generate} call (all zero without drafts). */
    public MtpStats lastStats() {
        return lastStats;
    }
}
