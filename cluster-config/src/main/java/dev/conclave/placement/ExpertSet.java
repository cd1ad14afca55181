package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Routed experts as a placement file names them: expert ids and ranges, {@code all}, and shares
 * {@code k/n}, the k-th of n contiguous, near-equal slices of the model's experts. Shares let one file
 * split the experts of any model: {@code 1/2} and {@code 2/2} are experts 0-3 and 4-7 of an 8-expert
 * model and 0-79 and 80-159 of GLM-4.5's 160, and the n shares of any n always cover every expert once.
 *
 * @param ids    the experts named by number
 * @param shares the shares named
 * @param all    {@code all}, which stands alone
 */
public record ExpertSet(IntSet ids, List<Share> shares, boolean all) {

    public static final String ALL = "all";

    public ExpertSet {
        shares = List.copyOf(shares);
        if (all && (!shares.isEmpty() || !ids.isEmpty())) {
            throw new IllegalArgumentException("'all' stands alone");
        }
    }

    public static ExpertSet everyExpert() {
        return new ExpertSet(IntSet.empty(), List.of(), true);
    }

    /**
     * Reads {@code "all"} or a comma-separated list of expert ids, inclusive ranges and shares:
     * {@code "0-31"}, {@code "1/2"}, {@code "1/4,3/4"}.
     *
     * @throws IllegalArgumentException naming the bad item
     */
    public static ExpertSet parse(String text) {
        String spec = text.strip();
        if (spec.equals(ALL)) {
            return everyExpert();
        }
        List<Share> shares = new ArrayList<>();
        List<String> numbered = new ArrayList<>();
        for (String item : spec.split(",", -1)) {
            String s = item.strip();
            if (s.equals(ALL)) {
                throw new IllegalArgumentException("'all' stands alone, without other experts");
            } else if (s.contains("/")) {
                shares.add(Share.parse(s));
            } else {
                numbered.add(s);
            }
        }
        return new ExpertSet(IntSet.parse(String.join(",", numbered)), shares, false);
    }

    /** The expert ids named, shares and {@code all} taken of the model's {@code n_routed_experts}. */
    public IntSet resolve(ModelConfig model) {
        if (all) {
            return ModelLayers.experts(model);
        }
        IntSet resolved = ids;
        for (Share share : shares) {
            resolved = resolved.union(share.resolve(model.nRoutedExperts()));
        }
        return resolved;
    }

    /** The text form, which {@link #parse} reads back to an equal set. */
    @Override
    public String toString() {
        if (all) {
            return ALL;
        }
        List<String> items = new ArrayList<>();
        if (!ids.isEmpty()) {
            items.add(ids.toString());
        }
        shares.forEach(s -> items.add(s.toString()));
        return String.join(",", items);
    }

    /**
     * Share {@code index} (1-based) of {@code count}: experts {@code floor((index-1)·E/count)} up to, not
     * including, {@code floor(index·E/count)}. Consecutive shares meet exactly, so n shares of n partition
     * the experts; when E < n some shares are empty.
     */
    public record Share(int index, int count) {

        public Share {
            if (count < 1 || index < 1 || index > count) {
                throw new IllegalArgumentException("share " + index + "/" + count
                        + " is not k/n with 1 <= k <= n");
            }
        }

        static Share parse(String item) {
            int slash = item.indexOf('/');
            try {
                return new Share(Integer.parseInt(item.substring(0, slash).strip()),
                        Integer.parseInt(item.substring(slash + 1).strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + item + "' is not a share k/n such as 1/2");
            }
        }

        public IntSet resolve(int expertCount) {
            return IntSet.range(boundary(index - 1, expertCount), boundary(index, expertCount));
        }

        private int boundary(int shares, int expertCount) {
            return (int) ((long) shares * expertCount / count);
        }

        @Override
        public String toString() {
            return index + "/" + count;
        }
    }
}
