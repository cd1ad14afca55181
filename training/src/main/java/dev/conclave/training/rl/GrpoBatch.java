package dev.conclave.training.rl;

import java.util.ArrayList;
import java.util.List;

/**
 * One optimizer step's groups made ready for the loss (training spec §1.1 steps 4–5, §1.4): zero-std groups
 * dropped, group-relative advantages of the kept ones, and every kept response's per-token weight computed
 * over all kept responses of the step, so the step's micro-batches can run in any split. Also the step's
 * rollout metrics over all groups, kept or not: mean reward and mean response length in loss tokens.
 */
public record GrpoBatch(List<Group> kept, GroupFilter.Stats filter, double meanReward, double meanLossTokens) {

    /** A kept group: its index in the input, rewards, advantages and per-token loss weight per response. */
    public record Group(int index, double[] rewards, double[] advantages, int[] lossTokens, double[] weights) {
    }

    /**
     * @param rewards    per group, the K rewards
     * @param lossTokens per group, the K responses' loss-token counts
     */
    public static GrpoBatch of(List<double[]> rewards, List<int[]> lossTokens, boolean stdNorm,
                               Aggregation aggregation, int maxNewTokens) {
        if (rewards.size() != lossTokens.size()) {
            throw new IllegalArgumentException(rewards.size() + " reward groups but " + lossTokens.size()
                    + " loss-token groups");
        }
        GroupFilter filter = new GroupFilter();
        List<Integer> keptIndex = new ArrayList<>();
        double rewardSum = 0;
        long tokenSum = 0;
        int responses = 0;
        for (int g = 0; g < rewards.size(); g++) {
            if (rewards.get(g).length != lossTokens.get(g).length) {
                throw new IllegalArgumentException("group " + g + ": " + rewards.get(g).length + " rewards but "
                        + lossTokens.get(g).length + " loss-token counts");
            }
            for (int i = 0; i < rewards.get(g).length; i++) {
                rewardSum += rewards.get(g)[i];
                tokenSum += lossTokens.get(g)[i];
                responses++;
            }
            if (filter.offer(rewards.get(g))) {
                keptIndex.add(g);
            }
        }
        int keptResponses = 0;
        for (int g : keptIndex) {
            keptResponses += lossTokens.get(g).length;
        }
        int[] flat = new int[keptResponses];
        int at = 0;
        for (int g : keptIndex) {
            for (int n : lossTokens.get(g)) {
                flat[at++] = n;
            }
        }
        double[] flatWeights = keptResponses == 0 ? new double[0] : aggregation.weights(flat, maxNewTokens);
        List<Group> kept = new ArrayList<>();
        at = 0;
        for (int g : keptIndex) {
            int k = lossTokens.get(g).length;
            double[] w = new double[k];
            System.arraycopy(flatWeights, at, w, 0, k);
            at += k;
            kept.add(new Group(g, rewards.get(g).clone(), Advantages.groupRelative(rewards.get(g), stdNorm),
                    lossTokens.get(g).clone(), w));
        }
        return new GrpoBatch(List.copyOf(kept), filter.stats(), responses == 0 ? 0 : rewardSum / responses,
                responses == 0 ? 0 : (double) tokenSum / responses);
    }
}
