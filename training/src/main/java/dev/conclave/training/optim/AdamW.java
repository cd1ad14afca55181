package dev.conclave.training.optim;

import dev.conclave.training.Param;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (training spec §3.3): bias-corrected first and second moments and decoupled weight decay,
 * {@code W ← W(1 − ηλ) − η m̂ / (sqrt(v̂) + ε)}. Used for embeddings, the head, biases and norm weights next
 * to Muon, and for every parameter in RL.
 */
public final class AdamW {

    /** β1, β2, ε and the decoupled weight decay λ. */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {

        /** Beside Muon in pre-training and for SFT (Moonlight reference): β = (0.9, 0.95), ε = 1e-8, λ = 0.1. */
        public static Settings pretraining() {
            return new Settings(0.9, 0.95, 1e-8, 0.1);
        }

        /** RL, as slime's GLM scripts run it: β = (0.9, 0.98), ε = 1e-8, λ = 0.1. */
        public static Settings rl() {
            return new Settings(0.9, 0.98, 1e-8, 0.1);
        }
    }

    private final List<Param> params;
    private final Settings settings;
    private final Map<String, double[]> firstMoment = new LinkedHashMap<>();
    private final Map<String, double[]> secondMoment = new LinkedHashMap<>();
    private long t;

    public AdamW(List<Param> params, Settings settings) {
        this.params = List.copyOf(params);
        this.settings = settings;
        for (Param p : this.params) {
            firstMoment.put(p.name(), new double[p.size()]);
            secondMoment.put(p.name(), new double[p.size()]);
        }
    }

    public List<Param> params() {
        return params;
    }

    /** One step at learning rate {@code lr} from the params' current gradients. */
    public void step(double lr) {
        t++;
        double b1 = settings.beta1();
        double b2 = settings.beta2();
        double correction1 = 1 - Math.pow(b1, t);
        double correction2 = 1 - Math.pow(b2, t);
        double decay = 1 - lr * settings.weightDecay();
        for (Param p : params) {
            double[] w = p.value();
            double[] g = p.grad();
            double[] m = firstMoment.get(p.name());
            double[] v = secondMoment.get(p.name());
            for (int i = 0; i < w.length; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / correction1;
                double vHat = v[i] / correction2;
                w[i] = w[i] * decay - lr * mHat / (Math.sqrt(vHat) + settings.eps());
            }
        }
    }

    /** Steps taken so far: the t of the bias corrections. */
    long t() {
        return t;
    }

    void restoreT(long steps) {
        t = steps;
    }

    Map<String, double[]> firstMoments() {
        return firstMoment;
    }

    Map<String, double[]> secondMoments() {
        return secondMoment;
    }
}
