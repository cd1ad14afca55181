package dev.conclave.training.loop;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.training.Param;
import dev.conclave.training.rl.Verifiers;
import dev.conclave.training.tasks.RlTask;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy accuracy on held-out tasks, measured the way a user would meet the model: the trainer's weights
 * published to the inference pipeline, prompts through the chat template, greedy decoding through the
 * serving engine, answers scored by each task's verifier.
 */
public final class HeldOutEval {

    /** Accuracy (mean verifier score) and the texts generated, in task order. */
    public record Result(double accuracy, List<String> completions) {
    }

    private final List<RlTask> tasks;
    private final ChatTask chat;
    private final Verifiers verifiers;
    private final int maxNewTokens;
    private final List<int[]> prompts = new ArrayList<>();

    public HeldOutEval(List<RlTask> tasks, ChatTask chat, Verifiers verifiers, int maxNewTokens) {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("no held-out tasks to evaluate on");
        }
        this.tasks = List.copyOf(tasks);
        this.chat = chat;
        this.verifiers = verifiers;
        this.maxNewTokens = maxNewTokens;
        for (RlTask t : tasks) {
            verifiers.get(t.verifier());
            prompts.add(chat.prompt(t));
        }
    }

    /** Greedy accuracy of the model of these params (every one of them, wherever it is trained). */
    public Result greedy(ModelConfig config, List<Param> params, long version, Parallel parallel) {
        return at(config, params, version, 0.0, parallel);
    }

    /**
     * Accuracy of one sample per task at {@code temperature} (0: greedy) by the model of these params, seeded so
     * repeated calls agree.
     */
    public Result at(ModelConfig config, List<Param> params, long version, double temperature, Parallel parallel) {
        try (Checkpoint weights = PublishedWeights.publish(config, params, version)) {
            InProcessPipeline pipeline = InProcessPipeline.load(weights, parallel);
            return score(Rollouts.generate(pipeline, version, prompts, 1, temperature, maxNewTokens, chat.stopIds(), 0,
                    false));
        }
    }

    private Result score(List<Rollouts.Completion> completions) {
        double sum = 0;
        List<String> texts = new ArrayList<>(completions.size());
        for (Rollouts.Completion c : completions) {
            RlTask task = tasks.get(c.prompt());
            String text = chat.text(c.tokens());
            texts.add(text);
            sum += verifiers.get(task.verifier()).score(text, task.answer());
        }
        return new Result(sum / completions.size(), texts);
    }
}
