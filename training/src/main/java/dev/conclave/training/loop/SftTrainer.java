package dev.conclave.training.loop;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.data.Batches;
import dev.conclave.training.data.PackedRow;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.nn.Router;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.report.ExpertLoadChart;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Supervised training (SFT or pre-training rows, training spec §7): each optimizer step runs its
 * micro-batches forward and backward with the step's global token counts as the token-mean denominators,
 * clips and applies Muon/AdamW, then moves every MoE layer's {@code e_score_correction_bias} by the
 * loss-free balancing rule (§4.1). Metrics go to {@code metrics.jsonl}, curves and expert load to PNGs,
 * checkpoints (HF layout + exact training state) to {@code checkpoints/}; a run restarted on the same
 * output folder resumes from the latest checkpoint with the identical data stream.
 */
public final class SftTrainer {

    /** Expert loads are charted and judged over windows of this many steps, so early imbalance does not linger. */
    static final int LOAD_WINDOW = 20;

    /** What one run does; {@code evalEvery} 0 evaluates only at the end, {@code checkpointEvery} 0 only saves at the end. */
    public record Settings(long steps, int rowsPerMicroBatch, int accumulation, TrainableModel.LossWeights weights,
                           double biasUpdateRate, long seed, int evalEvery, int checkpointEvery,
                           HfCheckpointWriter.Options saveOptions) {
        public Settings {
            if (steps < 1 || rowsPerMicroBatch < 1 || accumulation < 1 || evalEvery < 0 || checkpointEvery < 0) {
                throw new IllegalArgumentException("bad training settings: " + this);
            }
        }
    }

    /** One step as the progress display sees it. */
    public record StepEvent(long step, long totalSteps, double loss, double tokensPerSecond, Double heldOutAccuracy) {
    }

    /** Receives every step (progress bars, tests). */
    public interface Listener {
        void onStep(StepEvent event);
    }

    /** The end of a run: the last held-out accuracy, the busiest expert's load over the mean per MoE layer, the final checkpoint. */
    public record Summary(long steps, double heldOutAccuracy, double mtpTop1, double[] maxOverMean, Path checkpoint) {
    }

    private final TrainableModel model;
    private final StepRunner runner;
    private final List<PackedRow> rows;
    private final List<PackedRow> heldOutRows;
    private final HeldOutEval eval;
    private final Settings settings;
    private final Path out;
    private final Parallel parallel;

    /**
     * @param heldOutRows teacher-forced rows for the MTP head's next-next-token accuracy (may be empty)
     * @param eval        greedy held-out accuracy, or null for none
     */
    public SftTrainer(TrainableModel model, Optimizer optimizer, List<PackedRow> rows, List<PackedRow> heldOutRows,
                      HeldOutEval eval, Settings settings, Path out, Parallel parallel) {
        this(model, StepRunner.local(model, optimizer, settings.weights(), settings.biasUpdateRate()), rows, heldOutRows,
                eval, settings, out, parallel);
    }

    /** As above with the steps run by {@code runner} on {@code model} (a cluster's supervisor, or {@link StepRunner#local}). */
    public SftTrainer(TrainableModel model, StepRunner runner, List<PackedRow> rows, List<PackedRow> heldOutRows,
                      HeldOutEval eval, Settings settings, Path out, Parallel parallel) {
        long perStep = (long) settings.rowsPerMicroBatch() * settings.accumulation();
        if (rows.size() < perStep) {
            throw new IllegalArgumentException(rows.size() + " packed rows cannot fill one step of " + perStep + " rows");
        }
        this.model = model;
        this.runner = runner;
        this.rows = rows;
        this.heldOutRows = heldOutRows;
        this.eval = eval;
        this.settings = settings;
        this.out = out;
        this.parallel = parallel;
    }

    public Summary run(Listener listener) throws IOException {
        Path checkpoints = out.resolve("checkpoints");
        TrainingCheckpoint.Progress at = new TrainingCheckpoint.Progress(0, settings.seed(), 0, 0);
        Optional<Path> latest = TrainingCheckpoint.latest(checkpoints);
        if (latest.isPresent()) {
            at = runner.restore(latest.get());
        }
        List<Router> routers = model.routers();
        long[][] windowLoads = new long[routers.size()][];
        double accuracy = Double.NaN;
        Path last = latest.orElse(null);
        try (TrainingLog log = new TrainingLog(out)) {
            long epoch = at.epoch();
            int position = (int) at.position();
            Batches batches = Batches.epoch(rows, settings.seed(), epoch, settings.rowsPerMicroBatch(), settings.accumulation());
            for (long step = at.step() + 1; step <= settings.steps(); step++) {
                if (position == batches.steps().size()) {
                    epoch++;
                    position = 0;
                    batches = Batches.epoch(rows, settings.seed(), epoch, settings.rowsPerMicroBatch(), settings.accumulation());
                }
                long start = System.nanoTime();
                Map<String, Double> m = trainStep(batches.steps().get(position++), routers, windowLoads, step);
                double seconds = (System.nanoTime() - start) / 1e9;
                m.put("tokens_per_s", m.get("tokens") / seconds);
                boolean end = step == settings.steps();
                if (end || settings.evalEvery() > 0 && step % settings.evalEvery() == 0) {
                    if (eval != null) {
                        accuracy = eval.greedy(model.config(), runner.params(), step, parallel).accuracy();
                        m.put("held_out_accuracy", accuracy);
                    }
                }
                log.record(step, m);
                listener.onStep(new StepEvent(step, settings.steps(), m.get("loss"), m.get("tokens_per_s"),
                        m.containsKey("held_out_accuracy") ? accuracy : null));
                if (end || settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0) {
                    last = runner.save(checkpoints, new TrainingCheckpoint.Progress(step, settings.seed(), epoch, position),
                            settings.saveOptions());
                    charts(log, routers, windowLoads);
                }
            }
            double mtpTop1 = mtpTop1();
            return new Summary(settings.steps(), accuracy, mtpTop1, maxOverMean(windowLoads), last);
        }
    }

    private Map<String, Double> trainStep(Batches.Step step, List<Router> routers, long[][] windowLoads, long number) {
        List<Batch> micro = PackedBatch.each(step.microBatches());
        TrainableModel.StepTotals totals = TrainableModel.StepTotals.of(micro);
        StepRunner.Outcome o = runner.step(micro);
        long tokens = 0;
        for (Batch b : micro) {
            tokens += b.rows();
        }
        double worst = 1;
        for (int r = 0; r < routers.size(); r++) {
            long[] load = o.loads().get(r);
            if (windowLoads[r] == null || number % LOAD_WINDOW == 1) {
                windowLoads[r] = new long[load.length];
            }
            double[] asDouble = new double[load.length];
            for (int e = 0; e < load.length; e++) {
                windowLoads[r][e] += load[e];
                asDouble[e] = load[e];
            }
            worst = Math.max(worst, ExpertLoadChart.maxOverMean(asDouble));
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", o.loss());
        m.put("ce", o.ce());
        m.put("mtp_loss", o.mtpLoss());
        m.put("aux_loss", o.auxLoss());
        m.put("token_accuracy", totals.targets() == 0 ? Double.NaN : (double) o.correct() / totals.targets());
        m.put("lr", o.report().lr());
        m.put("grad_norm", o.report().gradNorm());
        m.put("skipped", o.report().skipped() ? 1.0 : 0.0);
        m.put("max_over_mean_load", worst);
        m.put("tokens", (double) tokens);
        return m;
    }

    /** The MTP head's top-1 accuracy on the next-next token of the held-out rows' trained targets. */
    private double mtpTop1() {
        if (!model.hasMtp() || heldOutRows.isEmpty()) {
            return Double.NaN;
        }
        long hits = 0, total = 0;
        for (int i = 0; i < heldOutRows.size(); i += settings.rowsPerMicroBatch()) {
            Batch b = PackedBatch.of(heldOutRows.subList(i, Math.min(heldOutRows.size(), i + settings.rowsPerMicroBatch())));
            TrainableModel.Forward f = model.forward(b, true);
            for (int t = 0; t < b.rows(); t++) {
                if (b.isTarget(t, 2)) {
                    total++;
                    hits += argmax(f.mtpLogits(), t * f.vocab(), f.vocab()) == b.tokens()[t + 2] ? 1 : 0;
                }
            }
        }
        return total == 0 ? Double.NaN : (double) hits / total;
    }

    private static int argmax(double[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }

    private void charts(TrainingLog log, List<Router> routers, long[][] windowLoads) throws IOException {
        log.chart(out.resolve("loss.png"), "SFT loss", "nats / token", List.of("loss", "ce", "mtp_loss"),
                List.of("held_out_accuracy"));
        if (routers.isEmpty() || windowLoads[0] == null) {
            return;
        }
        String[] names = new String[routers.size()];
        double[][] loads = new double[routers.size()][];
        for (int r = 0; r < routers.size(); r++) {
            String layer = routers.get(r).correctionBias().name().replace(".mlp.gate.e_score_correction_bias", "");
            names[r] = layer.equals("model.layers." + model.config().mtpLayerIndex()) ? layer + " (MTP)" : layer;
            loads[r] = new double[windowLoads[r].length];
            for (int e = 0; e < loads[r].length; e++) {
                loads[r][e] = windowLoads[r][e];
            }
        }
        new ExpertLoadChart("Expert load (tokens routed, last " + LOAD_WINDOW + " steps or fewer)", names, loads).write(out.resolve("expert-load.png"));
    }

    private static double[] maxOverMean(long[][] windowLoads) {
        double[] out = new double[windowLoads.length];
        for (int r = 0; r < out.length; r++) {
            double[] d = new double[windowLoads[r] == null ? 0 : windowLoads[r].length];
            for (int e = 0; e < d.length; e++) {
                d[e] = windowLoads[r][e];
            }
            out[r] = ExpertLoadChart.maxOverMean(d);
        }
        return out;
    }
}
