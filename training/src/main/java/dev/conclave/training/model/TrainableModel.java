package dev.conclave.training.model;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.tensor.Tensor;
import dev.conclave.training.Param;
import dev.conclave.training.nn.CrossEntropy;
import dev.conclave.training.nn.DecoderLayer;
import dev.conclave.training.nn.Documents;
import dev.conclave.training.nn.Embedding;
import dev.conclave.training.nn.ExpertsFactory;
import dev.conclave.training.nn.Linear;
import dev.conclave.training.nn.MtpLayer;
import dev.conclave.training.nn.ParamSet;
import dev.conclave.training.nn.RmsNorm;
import dev.conclave.training.nn.Router;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The GLM-4.5 model in float64 with hand-written backward passes: embedding → decoder layers (dense below
 * {@code first_k_dense_replace}, MoE above) → final norm → lm_head, plus the MTP layer that shares the
 * embedding and head. Every parameter is a {@link Param} under its exact Hugging Face name, the MTP layer's
 * under {@code model.layers.{num_hidden_layers}.}.
 *
 * <p>{@link #forward} returns per-position logits and keeps what {@link #backward} needs, so a caller may
 * backpropagate any gradient with respect to the logits (GRPO); {@link #lossAndBackward} is the SFT /
 * pre-training objective on top (training spec §4.3, §4.2): token-mean cross-entropy over the masked
 * targets + aux weight × balance loss + λ × MTP loss. Gradients accumulate until {@link #zeroGrad}.
 */
public final class TrainableModel {

    private static final double INIT_STD = 0.02;

    private final ModelConfig config;
    private final Parallel parallel;
    private final ParamSet params = new ParamSet();
    private final Embedding embedding;
    private final DecoderLayer[] layers;
    private final RmsNorm norm;
    private final Linear head;
    private final MtpLayer mtp;
    private final int hidden;
    private final int vocab;

    private Batch batch;
    private boolean mtpRan;
    private double[][] xs = new double[0][];
    private double[] h = new double[0];
    private double[] logits = new double[0];
    private double[] dLogits = new double[0];
    private double[] g = new double[0];
    private double[] mtpLogits = new double[0];
    private double[] dMtpLogits = new double[0];
    private double[] dh = new double[0];
    private double[] dx = new double[0];
    private double[] dxNext = new double[0];
    private double[] dg = new double[0];
    private int[] teacherNext = new int[0];
    private boolean[] teacherCounted = new boolean[0];
    private int[] targets = new int[0];
    private double[] weights = new double[0];

    private TrainableModel(ModelConfig c, boolean withMtp, Parallel parallel, ExpertsFactory experts) {
        this.config = c;
        this.parallel = parallel;
        this.hidden = c.hiddenSize();
        this.vocab = c.vocabSize();
        if (c.tieWordEmbeddings()) {
            throw new IllegalArgumentException("tie_word_embeddings = true is not a glm4_moe layout");
        }
        this.embedding = new Embedding(params.create("model.embed_tokens.weight", Param.Kind.EMBEDDING, vocab, hidden));
        this.layers = new DecoderLayer[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new DecoderLayer(c, params, "model.layers." + l + ".", l, c.isMoeLayer(l), experts);
        }
        this.norm = new RmsNorm(params.create("model.norm.weight", Param.Kind.VECTOR, hidden), c.rmsNormEps());
        this.head = new Linear(params.create("lm_head.weight", Param.Kind.HEAD, vocab, hidden), null);
        this.mtp = withMtp ? new MtpLayer(c, params, "model.layers." + c.mtpLayerIndex() + ".", embedding, experts) : null;
    }

    /**
     * A freshly initialised model: every matrix, the embedding and the head normal(0, 0.02) as HF's
     * {@code initializer_range}, norm weights 1, biases and {@code e_score_correction_bias} 0.
     */
    public static TrainableModel random(ModelConfig c, long seed, Parallel parallel) {
        TrainableModel m = new TrainableModel(c, c.hasMtp(), parallel, ExpertsFactory.LOCAL);
        Random rnd = new Random(seed);
        for (Param p : m.params.all()) {
            double[] v = p.value();
            if (p.kind() == Param.Kind.VECTOR) {
                Arrays.fill(v, p.name().endsWith("norm.weight") ? 1.0 : 0.0);
            } else {
                for (int i = 0; i < v.length; i++) {
                    v[i] = INIT_STD * rnd.nextGaussian();
                }
            }
        }
        return m;
    }

    /**
     * The model of a checkpoint, weights widened from BF16/F16/F32 to float64. The MTP layer is built when
     * the checkpoint holds it; its stored copies of embed_tokens and lm_head (GLM-4.5 layout) must equal
     * the main tensors, since training shares them.
     */
    public static TrainableModel load(Checkpoint checkpoint, Parallel parallel) {
        return load(checkpoint, parallel, ExpertsFactory.LOCAL);
    }

    /**
     * As {@link #load(Checkpoint, Parallel)} with the routed experts from {@code experts}: only the params this
     * process creates are read (experts owned elsewhere load their own).
     */
    public static TrainableModel load(Checkpoint checkpoint, Parallel parallel, ExpertsFactory experts) {
        ModelConfig c = checkpoint.config();
        TrainableModel m = new TrainableModel(c, c.hasMtp() && checkpoint.hasMtp(), parallel, experts);
        loadValues(checkpoint, m.params.all());
        if (m.mtp != null) {
            String prefix = "model.layers." + c.mtpLayerIndex() + ".";
            requireCopy(checkpoint, prefix + "embed_tokens.weight", m.embedding.table());
            requireCopy(checkpoint, prefix + "shared_head.head.weight", m.head.weight());
        }
        return m;
    }

    /** Reads each param's values from the checkpoint tensor of its name, widened to float64; shapes must match. */
    public static void loadValues(Checkpoint checkpoint, List<Param> params) {
        for (Param p : params) {
            Tensor t = checkpoint.tensor(p.name());
            long[] shape = t.shape();
            int[] want = p.shape();
            if (shape.length != want.length || !Arrays.equals(Arrays.stream(shape).mapToInt(x -> (int) x).toArray(), want)) {
                throw new IllegalArgumentException(checkpoint.dir() + ": tensor " + p.name() + " has shape "
                        + Arrays.toString(shape) + ", the model needs " + Arrays.toString(want));
            }
            double[] v = p.value();
            for (int i = 0; i < v.length; i++) {
                v[i] = t.get(i);
            }
        }
    }

    private static void requireCopy(Checkpoint checkpoint, String name, Param shared) {
        Tensor t = checkpoint.find(name).orElse(null);
        if (t == null) {
            return;
        }
        double[] v = shared.value();
        if (t.numel() != v.length) {
            throw new IllegalArgumentException(checkpoint.dir() + ": " + name + " has " + t.numel()
                    + " elements, " + shared.name() + " " + v.length);
        }
        for (int i = 0; i < v.length; i++) {
            if (t.get(i) != (float) v[i]) {
                throw new IllegalArgumentException(checkpoint.dir() + ": " + name + " differs from " + shared.name()
                        + " at element " + i + "; training shares the MTP layer's embedding and head with the main model");
            }
        }
    }

    public ModelConfig config() { return config; }

    public boolean hasMtp() { return mtp != null; }

    /** Every parameter under its HF name, in checkpoint order (the MTP layer last). */
    public List<Param> params() { return params.all(); }

    /** The parameters an optimizer updates: all but the correction biases, which only the loss-free update moves. */
    public List<Param> trainableParams() {
        List<Param> out = new ArrayList<>();
        for (Param p : params.all()) {
            if (!p.name().endsWith("e_score_correction_bias")) {
                out.add(p);
            }
        }
        return out;
    }

    public Param param(String name) { return params.get(name); }

    public void zeroGrad() {
        for (Param p : params.all()) {
            p.zeroGrad();
        }
    }

    /** The routers of the MoE layers in layer order, the MTP layer's last. */
    public List<Router> routers() {
        List<Router> out = new ArrayList<>();
        for (DecoderLayer l : layers) {
            if (l.moe() != null) {
                out.add(l.moe().router());
            }
        }
        if (mtp != null) {
            out.add(mtp.block().moe().router());
        }
        return out;
    }

    /** The loss-free balancing step (training spec §4.1) on every MoE layer; rate 0 only restarts the loads. */
    public void updateRouterBias(double rate) {
        for (Router r : routers()) {
            r.updateBias(rate);
        }
    }

    /**
     * The logits of one forward, row-major [rows × vocab]; the arrays are the model's buffers, valid until
     * the next forward and possibly longer than rows × vocab. mtpLogits is null when the MTP layer did not run.
     */
    public record Forward(double[] logits, double[] mtpLogits, int rows, int vocab) {
    }

    /**
     * Runs the main model and, when {@code withMtp} and the model has one, the MTP layer on teacher-forced
     * next tokens inside each document (a document's last row has none: it is routed but not counted).
     */
    public Forward forward(Batch batch, boolean withMtp) {
        int n = batch.rows();
        Documents docs = batch.docs();
        if (teacherNext.length < n) {
            teacherNext = new int[n];
            teacherCounted = new boolean[n];
        }
        for (int t = 0; t < n; t++) {
            boolean ahead = docs.hasAhead(t, 1);
            teacherNext[t] = batch.tokens()[ahead ? t + 1 : t];
            teacherCounted[t] = ahead;
        }
        return run(batch, withMtp && mtp != null, teacherNext, teacherCounted);
    }

    /**
     * As {@link #forward(Batch, boolean)} with the MTP input tokens given for every row (all counted): row t
     * pairs h_t with {@code mtpNextTokens[t]}, as drafting does with the token just sampled.
     */
    public Forward forward(Batch batch, int[] mtpNextTokens) {
        if (mtp == null) {
            throw new IllegalStateException("this model has no MTP layer");
        }
        if (mtpNextTokens.length != batch.rows()) {
            throw new IllegalArgumentException(mtpNextTokens.length + " MTP input tokens for " + batch.rows() + " rows");
        }
        return run(batch, true, mtpNextTokens.clone(), null);
    }

    private Forward run(Batch batch, boolean withMtp, int[] next, boolean[] counted) {
        this.batch = batch;
        this.mtpRan = withMtp;
        int n = batch.rows();
        ensure(n);
        Documents docs = batch.docs();
        embedding.forward(batch.tokens(), n, xs[0]);
        for (int l = 0; l < layers.length; l++) {
            layers[l].forward(xs[l], docs, null, xs[l + 1], parallel);
        }
        norm.forward(xs[layers.length], n, h);
        head.forward(h, n, logits, parallel);
        if (withMtp) {
            mtp.forward(h, next, docs, counted, g, parallel);
            head.forward(g, n, mtpLogits, parallel);
        }
        return new Forward(logits, withMtp ? mtpLogits : null, n, vocab);
    }

    /**
     * Backpropagates {@code dLogits = ∂L/∂logits} (and {@code dMtpLogits}, required iff the MTP layer ran in
     * the last forward) through the whole model, adding the balance loss's gradient with weight
     * {@code auxWeight} (0: none), and accumulates every parameter's gradient.
     */
    public void backward(double[] dLogits, double[] dMtpLogits, double auxWeight) {
        if (batch == null) {
            throw new IllegalStateException("backward needs a forward of its own (the backward consumes the saved activations)");
        }
        int n = batch.rows();
        if (dLogits.length < n * vocab || (dMtpLogits != null && dMtpLogits.length < n * vocab)) {
            throw new IllegalArgumentException("logit gradients need " + n + " x " + vocab + " entries, got "
                    + dLogits.length + (dMtpLogits == null ? "" : " and " + dMtpLogits.length));
        }
        if ((dMtpLogits != null) != mtpRan) {
            throw new IllegalArgumentException(mtpRan ? "the MTP layer ran: its logits need a gradient"
                    : "the MTP layer did not run in the last forward");
        }
        Arrays.fill(dh, 0, n * hidden, 0);
        head.backward(h, dLogits, n, dh, parallel);
        if (mtpRan) {
            Arrays.fill(dg, 0, n * hidden, 0);
            head.backward(g, dMtpLogits, n, dg, parallel);
            mtp.backward(dg, auxWeight, dh, parallel);
        }
        Arrays.fill(dx, 0, n * hidden, 0);
        norm.backward(dh, dx);
        for (int l = layers.length - 1; l >= 0; l--) {
            layers[l].backward(dx, auxWeight, dxNext, parallel);
            double[] swap = dx;
            dx = dxNext;
            dxNext = swap;
        }
        embedding.backward(batch.tokens(), n, dx);
        batch = null;
    }

    /** Weights of the objective: α of the balance loss and λ of the MTP loss; 0 turns either off. */
    public record LossWeights(double aux, double mtp) {

        /** GLM-4.5's pre-training values (training spec §0): α = 1e-4, λ = 0.3. */
        public static LossWeights glm45() {
            return new LossWeights(1e-4, 0.3);
        }
    }

    /**
     * One step's losses: {@code total = ce + aux·auxLoss + λ·mtpLoss}; ce and mtpLoss are token means over the
     * masked targets (this batch's counts given), auxLoss the sum over MoE layers of each layer's
     * document-mean balance loss; correct counts the main targets whose logits' argmax is the target.
     */
    public record Losses(double total, double ce, double mtpLoss, double auxLoss, int targets, int mtpTargets,
                         int correct) {
    }

    /**
     * The normalisers of one optimizer step split into micro-batches (training spec §1.4, §4.2): token means
     * divide by the step's masked target counts, and each micro-batch's balance loss counts 1/microBatches.
     */
    public record StepTotals(int targets, int mtpTargets, int microBatches) {

        /** The totals of a step made of these batches. */
        public static StepTotals of(List<Batch> batches) {
            return new StepTotals(batches.stream().mapToInt(b -> b.targetCount(1)).sum(),
                    batches.stream().mapToInt(b -> b.targetCount(2)).sum(), batches.size());
        }
    }

    /** Forward, the objective and its backward on one batch; gradients accumulate into the params. */
    public Losses lossAndBackward(Batch batch, LossWeights w) {
        return objective(batch, w, true, StepTotals.of(List.of(batch)));
    }

    /**
     * One micro-batch of a step: losses and gradients are this batch's share of the step's objective, so
     * summing the returned losses (and the accumulated gradients) over the step's batches gives the whole.
     */
    public Losses lossAndBackward(Batch batch, LossWeights w, StepTotals step) {
        return objective(batch, w, true, step);
    }

    /** The objective of one batch without any gradient (evaluation, finite differences). */
    public Losses loss(Batch batch, LossWeights w) {
        return objective(batch, w, false, StepTotals.of(List.of(batch)));
    }

    private Losses objective(Batch batch, LossWeights w, boolean backward, StepTotals step) {
        boolean withMtp = w.mtp() != 0 && mtp != null;
        Forward f = forward(batch, withMtp);
        int n = batch.rows();
        if (dLogits.length < n * vocab) {
            dLogits = new double[n * vocab];
            dMtpLogits = new double[n * vocab];
        }
        int mainTargets = targets(batch, 1, step.targets());
        if (mainTargets > step.targets() || batch.targetCount(2) > step.mtpTargets()) {
            throw new IllegalArgumentException("step totals " + step + " smaller than this batch's own targets");
        }
        CrossEntropy.Result main = CrossEntropy.apply(f.logits(), n, vocab, targets, weights, backward ? dLogits : null);
        double mtpLoss = 0;
        int mtpTargets = 0;
        if (withMtp) {
            mtpTargets = targets(batch, 2, step.mtpTargets());
            for (int t = 0; t < n; t++) {
                weights[t] *= w.mtp();
            }
            CrossEntropy.Result r = CrossEntropy.apply(f.mtpLogits(), n, vocab, targets, weights,
                    backward ? dMtpLogits : null);
            mtpLoss = r.loss() / w.mtp();
        }
        double auxShare = 1.0 / step.microBatches();
        double aux = 0;
        for (Router r : routers()) {
            if (r != mtpRouter() || withMtp) {
                aux += auxShare * r.auxLoss();
            }
        }
        if (backward) {
            backward(dLogits, withMtp ? dMtpLogits : null, w.aux() * auxShare);
        }
        double total = main.loss() + w.aux() * aux + w.mtp() * mtpLoss;
        return new Losses(total, main.loss(), mtpLoss, aux, mainTargets, mtpTargets, main.correct());
    }

    private Router mtpRouter() {
        return mtp == null ? null : mtp.block().moe().router();
    }

    /**
     * Fills targets/weights for predicting the token {@code ahead} rows later inside the same document:
     * weight 1/denominator on the masked targets, 0 elsewhere. Returns how many this batch has.
     */
    private int targets(Batch batch, int ahead, int denominator) {
        int n = batch.rows();
        if (targets.length < n) {
            targets = new int[n];
            weights = new double[n];
        }
        int count = 0;
        for (int t = 0; t < n; t++) {
            boolean has = batch.isTarget(t, ahead);
            targets[t] = has ? batch.tokens()[t + ahead] : 0;
            weights[t] = has ? 1.0 / denominator : 0;
            count += has ? 1 : 0;
        }
        return count;
    }

    private void ensure(int n) {
        if (h.length >= n * hidden) {
            return;
        }
        xs = new double[layers.length + 1][n * hidden];
        h = new double[n * hidden];
        g = new double[n * hidden];
        dh = new double[n * hidden];
        dx = new double[n * hidden];
        dxNext = new double[n * hidden];
        dg = new double[n * hidden];
        logits = new double[n * vocab];
        mtpLogits = new double[n * vocab];
    }
}
