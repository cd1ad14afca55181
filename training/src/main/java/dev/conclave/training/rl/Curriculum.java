package dev.conclave.training.rl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SequencedSet;

/**
 * The two-stage difficulty curriculum of GLM-4.5 (training spec §1.6): stage 1 trains on moderate prompts,
 * and when the stage-1 reward plateaus (all-solved groups dominate) it switches to the hard prompts, those
 * with pass@k_small = 0 and pass@n > 0 under the current policy (the report: pass@8 = 0, pass@512 > 0).
 *
 * <p>Difficulty comes from {@link #estimate}: n sampled outcomes per prompt in sampling order. The unbiased
 * pass@k over all n samples is never 0 once one sample is correct, so "pass@k_small = 0" is observed, as the
 * paper's selection does, on the first k_small samples; pass@n > 0 means some sample of the whole budget is
 * correct. Moderate: some of the first k_small samples is correct and the solve rate c/n is below
 * {@code maxSolveRate} (not saturated). Prompts that are never solved, saturated, or not estimated are in
 * neither pool. Disabled, the curriculum serves every prompt. Every decision comes back as a line to log.
 */
public final class Curriculum {

    public enum Stage { MODERATE, HARD }

    /**
     * @param kSmall         k of "pass@k = 0" (8 in the report)
     * @param maxSolveRate   prompts solved at this rate or more are saturated and left out (1.0: all correct)
     * @param switchAllSolved stage 1 ends when the all-solved share of groups, averaged over {@code window}
     *                        steps, reaches this
     * @param window         steps of that moving average
     * @param moderateGroupSize K in stage 1 (spec default 8)
     * @param hardGroupSize  K in stage 2 (spec default 16; the report's 512 may be its selection budget)
     */
    public record Config(boolean enabled, int kSmall, double maxSolveRate, double switchAllSolved, int window,
                         int moderateGroupSize, int hardGroupSize) {
        public Config {
            if (kSmall < 1 || window < 1 || moderateGroupSize < 1 || hardGroupSize < 1) {
                throw new IllegalArgumentException("curriculum: k_small, window and group sizes must be >= 1");
            }
            if (!(maxSolveRate > 0 && maxSolveRate <= 1) || !(switchAllSolved > 0 && switchAllSolved <= 1)) {
                throw new IllegalArgumentException("curriculum: max solve rate and switch threshold must be in (0, 1]");
            }
        }

        public static Config defaults() {
            return new Config(true, 8, 1.0, 0.5, 10, 8, 16);
        }

        public static Config disabled() {
            return new Config(false, 8, 1.0, 0.5, 10, 8, 8);
        }
    }

    /** One prompt's estimate: n samples, c correct, of which {@code correctInFirst} among the first k_small. */
    public record Difficulty(int samples, int correct, int correctInFirst) {

        public double passAt(int k) {
            return PassAtK.estimate(samples, correct, k);
        }

        public double solveRate() {
            return (double) correct / samples;
        }
    }

    private final Config config;
    private final SequencedSet<String> prompts;
    private final Map<String, Difficulty> difficulty = new HashMap<>();
    private final Deque<Double> allSolved = new ArrayDeque<>();
    private final Random shuffle;
    private Stage stage = Stage.MODERATE;
    private List<String> pool = List.of();
    private int cursor;

    public Curriculum(Config config, List<String> promptIds, long seed) {
        this.config = config;
        this.prompts = new LinkedHashSet<>(promptIds);
        if (prompts.size() != promptIds.size()) {
            throw new IllegalArgumentException("curriculum: prompt ids must be unique");
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("curriculum: no prompts");
        }
        this.shuffle = new Random(seed);
        rebuild();
    }

    /** Records n outcomes (sampling order) for a prompt, replacing its previous estimate. */
    public void estimate(String promptId, boolean[] outcomes) {
        if (!prompts.contains(promptId)) {
            throw new IllegalArgumentException("curriculum: unknown prompt id '" + promptId + "'");
        }
        if (outcomes.length < config.kSmall()) {
            throw new IllegalArgumentException("curriculum: prompt '" + promptId + "' has " + outcomes.length
                    + " samples, fewer than k_small " + config.kSmall());
        }
        int correct = 0;
        int first = 0;
        for (int i = 0; i < outcomes.length; i++) {
            correct += outcomes[i] ? 1 : 0;
            first += outcomes[i] && i < config.kSmall() ? 1 : 0;
        }
        difficulty.put(promptId, new Difficulty(outcomes.length, correct, first));
    }

    /** Rebuilds the pools from the current estimates (call after a round of {@link #estimate}). */
    public String rebuild() {
        pool = new ArrayList<>(config.enabled() ? pool(stage) : List.copyOf(prompts));
        Collections.shuffle(pool, shuffle);
        cursor = 0;
        return describe();
    }

    public List<String> pool(Stage of) {
        List<String> ids = new ArrayList<>();
        for (String id : prompts) {
            if (of == classify(id)) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** The stage a prompt belongs to, or {@code null} when it is in neither pool. */
    public Stage classify(String promptId) {
        Difficulty d = difficulty.get(promptId);
        if (d == null || d.correct() == 0 || d.solveRate() >= config.maxSolveRate()) {
            return null;
        }
        return d.correctInFirst() > 0 ? Stage.MODERATE : Stage.HARD;
    }

    public Difficulty difficulty(String promptId) {
        return difficulty.get(promptId);
    }

    public Config config() {
        return config;
    }

    public Stage stage() {
        return stage;
    }

    public int groupSize() {
        return stage == Stage.HARD ? config.hardGroupSize() : config.moderateGroupSize();
    }

    /** The next n prompt ids of the current pool, cycling through it in a fresh seeded order each pass. */
    public List<String> next(int n) {
        if (pool.isEmpty()) {
            throw new IllegalStateException("curriculum: the " + (config.enabled() ? stage + " pool" : "prompt set")
                    + " is empty; " + describe());
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (cursor == pool.size()) {
                Collections.shuffle(pool, shuffle);
                cursor = 0;
            }
            out.add(pool.get(cursor++));
        }
        return out;
    }

    /**
     * Feeds one stage-1 step's group-filter counts; returns the decision to log when the stage switches (or
     * would, but the hard pool is empty), {@code null} otherwise.
     */
    public String observe(int step, GroupFilter.Stats stats) {
        if (!config.enabled() || stage == Stage.HARD) {
            return null;
        }
        allSolved.addLast(stats.allSolvedFraction());
        if (allSolved.size() > config.window()) {
            allSolved.removeFirst();
        }
        double average = allSolved.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        if (allSolved.size() < config.window() || average < config.switchAllSolved()) {
            return null;
        }
        if (pool(Stage.HARD).isEmpty()) {
            return String.format("curriculum step %d: all-solved share %.3f >= %.3f over %d steps, but the hard pool"
                    + " is empty; staying in stage 1", step, average, config.switchAllSolved(), config.window());
        }
        stage = Stage.HARD;
        String pools = rebuild();
        return String.format("curriculum step %d: all-solved share %.3f >= %.3f over %d steps; switching to stage 2"
                + " (hard, group size %d); %s", step, average, config.switchAllSolved(), config.window(), groupSize(), pools);
    }

    /** Pool sizes by class, for the log. */
    public String describe() {
        int moderate = 0;
        int hard = 0;
        int unsolved = 0;
        int saturated = 0;
        int unknown = 0;
        for (String id : prompts) {
            Difficulty d = difficulty.get(id);
            Stage s = classify(id);
            if (d == null) {
                unknown++;
            } else if (s == Stage.MODERATE) {
                moderate++;
            } else if (s == Stage.HARD) {
                hard++;
            } else if (d.correct() == 0) {
                unsolved++;
            } else {
                saturated++;
            }
        }
        return String.format("curriculum %s, stage %s: %d prompts; moderate %d, hard %d, unsolved %d, saturated %d,"
                        + " not estimated %d", config.enabled() ? "on" : "off", stage, prompts.size(), moderate, hard,
                unsolved, saturated, unknown);
    }
}
