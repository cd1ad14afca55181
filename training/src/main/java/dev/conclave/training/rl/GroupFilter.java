package dev.conclave.training.rl;

/**
 * Dynamic-sampling group filter (training spec §1.5): a group is kept only if its rewards are not all equal
 * (sample std above 1e-6, slime's {@code check_reward_nonzero_std}); all-equal groups have zero advantage
 * everywhere and would only dilute the step. Counts what it saw, so the loop can log the drop rate and the
 * curriculum can see when all-solved groups dominate.
 */
public final class GroupFilter {
    public static final double MIN_STD = 1e-6;

    private int groups;
    private int kept;
    private int allSolved;
    private int allFailed;

    /** True if the group has a reward spread to learn from. */
    public static boolean keeps(double[] rewards) {
        return Advantages.std(rewards) > MIN_STD;
    }

    /** Records one finished group; returns whether to keep it. Rewards are in [0, 1]. */
    public boolean offer(double[] rewards) {
        groups++;
        if (keeps(rewards)) {
            kept++;
            return true;
        }
        double common = Advantages.mean(rewards);
        if (common >= 1) {
            allSolved++;
        } else if (common <= 0) {
            allFailed++;
        }
        return false;
    }

    public Stats stats() {
        return new Stats(groups, kept, allSolved, allFailed);
    }

    public void reset() {
        groups = kept = allSolved = allFailed = 0;
    }

    /** One step's filter counts; {@code allSolved} and {@code allFailed} are dropped groups at reward 1 or 0. */
    public record Stats(int groups, int kept, int allSolved, int allFailed) {

        public double keptFraction() {
            return groups == 0 ? 0 : (double) kept / groups;
        }

        public double dropRate() {
            return groups == 0 ? 0 : 1 - keptFraction();
        }

        public double allSolvedFraction() {
            return groups == 0 ? 0 : (double) allSolved / groups;
        }

        @Override
        public String toString() {
            return String.format("groups %d kept %d (drop rate %.3f; all solved %d, all failed %d)",
                    groups, kept, dropRate(), allSolved, allFailed);
        }
    }
}
