package dev.conclave.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy at temperature 0, otherwise softmax at the temperature
 * restricted to the top-k tokens and then to the smallest set whose probability reaches top-p.
 */
public final class Sampler {

    private final double temperature;
    private final int topK;
    private final double topP;
    private final SplittableRandom random;

    public Sampler(double temperature, int topK, double topP, long seed) {
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) { // written so that NaN fails too
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 0);
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Whether this sampler is greedy (temperature 0): it then never draws a random number. */
    public boolean isGreedy() {
        return temperature == 0;
    }

    public int sample(float[] logits) {
        if (temperature == 0) {
            return argmax(logits);
        }
        if (topK == 0 && topP >= 1) {
            return sampleAll(logits);
        }
        Kept kept = kept(logits);
        double u = random.nextDouble() * kept.total;
        for (int i = 0; i < kept.cut; i++) {
            u -= kept.weight[i];
            if (u <= 0) {
                return id(kept.order[i]);
            }
        }
        return id(kept.order[kept.cut - 1]);
    }

    /**
     * The distribution {@link #sample} draws from, written over the whole vocabulary into {@code p}: the
     * temperature softmax cut to top-k and top-p and renormalised; one-hot on the argmax at temperature 0.
     */
    public void probabilities(float[] logits, double[] p) {
        Arrays.fill(p, 0, logits.length, 0);
        if (temperature == 0) {
            p[argmax(logits)] = 1;
            return;
        }
        if (topK == 0 && topP >= 1) {
            double max = logits[argmax(logits)];
            double total = 0;
            for (int i = 0; i < logits.length; i++) {
                p[i] = Math.exp((logits[i] - max) / temperature);
                total += p[i];
            }
            for (int i = 0; i < logits.length; i++) {
                p[i] /= total;
            }
            return;
        }
        Kept kept = kept(logits);
        for (int i = 0; i < kept.cut; i++) {
            p[id(kept.order[i])] = kept.weight[i] / kept.total;
        }
    }

    /**
     * The log-probability with which {@link #sample} draws {@code token} from these logits, in float64: over the
     * whole vocabulary (top-k off, top-p 1, as RL samples, training spec §1.1) log-softmax(z/τ)[token]; with top-k
     * or top-p the log of its renormalised kept probability (−∞ outside the kept set); when greedy 0 for the argmax
     * (−∞ for any other token).
     */
    public double logProb(float[] logits, int token) {
        if (token < 0 || token >= logits.length) {
            throw new IllegalArgumentException("token " + token + " outside a vocabulary of " + logits.length);
        }
        if (temperature == 0) {
            return token == argmax(logits) ? 0 : Double.NEGATIVE_INFINITY;
        }
        if (topK == 0 && topP >= 1) {
            double max = logits[argmax(logits)];
            return (logits[token] - max) / temperature - Math.log(temperedSum(logits, max));
        }
        Kept kept = kept(logits);
        for (int i = 0; i < kept.cut; i++) {
            if (id(kept.order[i]) == token) {
                return Math.log(kept.weight[i] / kept.total);
            }
        }
        return Double.NEGATIVE_INFINITY;
    }

    /** Draws an id from {@code weights[0, n)} (non-negative, not necessarily normalised). */
    public int draw(double[] weights, int n) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += weights[i];
        }
        double u = random.nextDouble() * total;
        int last = 0;
        for (int i = 0; i < n; i++) {
            if (weights[i] > 0) {
                last = i;
                u -= weights[i];
                if (u <= 0) {
                    return i;
                }
            }
        }
        return last;
    }

    /** A uniform draw from [0, 1), for accepting a speculative draft. */
    public double uniform() {
        return random.nextDouble();
    }

    /** The tokens top-k and top-p keep, best first, with their unnormalised softmax weights. */
    private record Kept(long[] order, double[] weight, int cut, double total) {
    }

    private Kept kept(float[] logits) {
        long[] order = descending(logits);
        int keep = topK > 0 ? Math.min(topK, logits.length) : logits.length;
        double max = logits[id(order[0])];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[id(order[i])] - max) / temperature);
            sum += p[i];
        }
        double cumulative = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) {
            cumulative += p[i] / sum;
            if (cumulative >= topP) {
                cut = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < cut; i++) {
            total += p[i];
        }
        return new Kept(order, p, cut, total);
    }

    /** Σ exp((z − max) / τ): the softmax's normaliser over the whole vocabulary. */
    private double temperedSum(float[] logits, double max) {
        double total = 0;
        for (float l : logits) {
            total += Math.exp((l - max) / temperature);
        }
        return total;
    }

    /** Plain temperature sampling over the whole vocabulary: one pass, no sort. */
    private int sampleAll(float[] logits) {
        double max = logits[argmax(logits)];
        double u = random.nextDouble() * temperedSum(logits, max);
        for (int i = 0; i < logits.length; i++) {
            u -= Math.exp((logits[i] - max) / temperature);
            if (u <= 0) {
                return i;
            }
        }
        return logits.length - 1;
    }

    /**
     * Token ids by descending logit, ties to the lower id: each key packs an order-preserving int of the
     * negated logit above the id, so one primitive sort does it (no boxing over the whole vocabulary).
     */
    private static long[] descending(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int bits = Float.floatToIntBits(-logits[i]);
            int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF);
            keys[i] = ((long) sortable << 32) | i;
        }
        Arrays.sort(keys);
        return keys;
    }

    private static int id(long key) {
        return (int) key;
    }
}
