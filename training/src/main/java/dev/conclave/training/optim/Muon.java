package dev.conclave.training.optim;

import dev.conclave.training.Param;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Muon for 2-D weight matrices (training spec §3.2), in the Moonlight form: heavy-ball momentum with a
 * Nesterov look-ahead, the update direction orthogonalised by {@link NewtonSchulz}, scaled by
 * 0.2·sqrt(max(A, B)) so its RMS matches AdamW's (≈ 0.2) and the same LR and weight decay serve both,
 * and decoupled weight decay with the unscaled LR. Every matrix is its own Muon problem, so each
 * routed expert's gate/up/down (separate Params) is orthogonalised on its own.
 */
public final class Muon {

    /** µ, Nesterov on/off and the decoupled weight decay λ. */
    public record Settings(double momentum, boolean nesterov, double weightDecay) {

        /** GLM-4.5 pre-training: µ = 0.95 with Nesterov, λ = 0.1. */
        public static Settings glm45() {
            return new Settings(0.95, true, 0.1);
        }
    }

    /** The update RMS the report names; multiplied by sqrt(max(A, B)) because NS5 output has RMS ≈ 1/sqrt(max(A, B)). */
    static final double RMS_MATCH = 0.2;

    private final List<Param> params;
    private final Settings settings;
    private final Map<String, double[]> momentum = new LinkedHashMap<>();
    private final NewtonSchulz newtonSchulz;
    private final double[] direction;
    private final double[] orthogonal;

    public Muon(List<Param> params, Settings settings) {
        this.params = List.copyOf(params);
        this.settings = settings;
        int maxElements = 1;
        int maxSide = 1;
        for (Param p : this.params) {
            if (p.shape().length != 2) {
                throw new IllegalArgumentException("Muon needs 2-D matrices; param " + p + " has "
                        + p.shape().length + " dimensions");
            }
            momentum.put(p.name(), new double[p.size()]);
            maxElements = Math.max(maxElements, p.size());
            maxSide = Math.max(maxSide, Math.min(p.rows(), p.cols()));
        }
        newtonSchulz = new NewtonSchulz(maxElements, maxSide);
        direction = new double[maxElements];
        orthogonal = new double[maxElements];
    }

    public List<Param> params() {
        return params;
    }

    /** One step at learning rate {@code lr} from the params' current gradients. */
    public void step(double lr) {
        double mu = settings.momentum();
        for (Param p : params) {
            double[] w = p.value();
            double[] g = p.grad();
            double[] m = momentum.get(p.name());
            for (int i = 0; i < w.length; i++) {
                m[i] = mu * m[i] + g[i];
                direction[i] = settings.nesterov() ? g[i] + mu * m[i] : m[i];
            }
            newtonSchulz.orthogonalize(direction, p.rows(), p.cols(), orthogonal);
            double decay = 1 - lr * settings.weightDecay();
            double scale = lr * RMS_MATCH * Math.sqrt(Math.max(p.rows(), p.cols()));
            for (int i = 0; i < w.length; i++) {
                w[i] = w[i] * decay - scale * orthogonal[i];
            }
        }
    }

    /** The momentum buffer of each param, by name; the live arrays, for saving and restoring. */
    Map<String, double[]> state() {
        return momentum;
    }
}
