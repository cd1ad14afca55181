package dev.conclave.training.loop;

import dev.conclave.training.tasks.RlTask;
import java.util.List;

/**
 * One step's rollouts as the trainer receives them: for every prompt drawn, its K completions and their rewards,
 * with the temperature they were sampled at and the weight version that generated them (training spec §2.4
 * invariant 1: every sample carries its version).
 */
record RolloutBatch(long version, double temperature, List<Group> groups, int drawn) {

    /** One prompt's group: the task, its prompt tokens, its K completions and their rewards. */
    record Group(RlTask task, int[] prompt, List<Rollouts.Completion> completions, double[] rewards) {

        int[] lossTokens() {
            return completions.stream().mapToInt(c -> c.tokens().length).toArray();
        }

        /** The oldest weight version among its samples. */
        long oldestVersion() {
            return completions.stream().mapToLong(Rollouts.Completion::version).min().orElseThrow();
        }
    }

    RolloutBatch {
        groups = List.copyOf(groups);
    }

    int samples() {
        return groups.stream().mapToInt(g -> g.completions().size()).sum();
    }

    /**
     * The groups whose every sample was generated at most {@code maxStaleness} versions before
     * {@code trainerVersion}, the weights the update starts from. A group goes whole or not at all: its
     * advantages are relative to all its samples.
     */
    RolloutBatch withoutStale(long trainerVersion, int maxStaleness) {
        List<Group> fresh = groups.stream().filter(g -> trainerVersion - g.oldestVersion() <= maxStaleness).toList();
        return new RolloutBatch(version, temperature, fresh, drawn);
    }
}
