package dev.conclave.training.loop;

import dev.conclave.training.Param;
import dev.conclave.training.checkpoint.HfCheckpointWriter;
import dev.conclave.training.checkpoint.TrainingCheckpoint;
import dev.conclave.training.model.Batch;
import dev.conclave.training.model.TrainableModel;
import dev.conclave.training.nn.Router;
import dev.conclave.training.optim.Optimizer;
import dev.conclave.training.optim.StepReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where the optimizer steps of the SFT objective run and a run is saved: in this process with one optimizer
 * ({@link #local}), or through a cluster's training supervisor, whose routed experts other nodes own. GRPO's
 * steps take their gradients from a forward and backward of their own ({@link #step(Runnable)}).
 */
public interface StepRunner {

    /**
     * One step: the losses summed over its micro-batches, the correct main targets, the update, and each MoE
     * layer's expert loads (in {@link TrainableModel#routers()} order) before the loss-free bias update.
     */
    record Outcome(double loss, double ce, double mtpLoss, double auxLoss, int correct, StepReport report,
                   List<long[]> loads) {
    }

    /** One optimizer step over these micro-batches (their token counts are the step's denominators). */
    Outcome step(List<Batch> microBatches);

    /**
     * One optimizer step on the gradients {@code backward} accumulates on the model by a forward and backward of
     * its own (GRPO's policy loss); the router biases stay as they are (rate 0) and their loads are reset.
     */
    StepReport step(Runnable backward);

    /** Every param of the model with its current value, wherever it is owned (checkpoints, evaluation). */
    List<Param> params();

    /** Saves a resumable checkpoint as {@code root/checkpoint-<step>}; returns that folder. */
    Path save(Path root, TrainingCheckpoint.Progress progress, HfCheckpointWriter.Options options) throws IOException;

    /** Restores what {@link #save} wrote; returns where the run stood. */
    TrainingCheckpoint.Progress restore(Path checkpoint) throws IOException;

    /** The model and its one optimizer in this process. */
    static StepRunner local(TrainableModel model, Optimizer optimizer, TrainableModel.LossWeights weights, double biasRate) {
        return new StepRunner() {
            @Override
            public Outcome step(List<Batch> microBatches) {
                return run(model, microBatches, weights, biasRate, () -> {
                    StepReport r = optimizer.step();
                    model.zeroGrad();
                    return r;
                });
            }

            @Override
            public StepReport step(Runnable backward) {
                backward.run();
                StepReport r = optimizer.step();
                model.zeroGrad();
                model.updateRouterBias(0);
                return r;
            }

            @Override
            public List<Param> params() {
                return model.params();
            }

            @Override
            public Path save(Path root, TrainingCheckpoint.Progress progress, HfCheckpointWriter.Options options)
                    throws IOException {
                return TrainingCheckpoint.save(root, model.config(), model.params(), optimizer, progress, options);
            }

            @Override
            public TrainingCheckpoint.Progress restore(Path checkpoint) throws IOException {
                return TrainingCheckpoint.restore(checkpoint, model.params(), optimizer);
            }
        };
    }

    /**
     * The step of training spec §7 on {@code model}: every micro-batch forward and backward, then {@code update}
     * (the optimizer step of every owner, leaving the gradients zeroed), then the loss-free bias update (§4.1).
     */
    static Outcome run(TrainableModel model, List<Batch> microBatches, TrainableModel.LossWeights weights, double biasRate,
                       Supplier<StepReport> update) {
        TrainableModel.StepTotals totals = TrainableModel.StepTotals.of(microBatches);
        double loss = 0, ce = 0, mtp = 0, aux = 0;
        int correct = 0;
        for (Batch b : microBatches) {
            TrainableModel.Losses l = model.lossAndBackward(b, weights, totals);
            loss += l.total();
            ce += l.ce();
            mtp += l.mtpLoss();
            aux += l.auxLoss();
            correct += l.correct();
        }
        StepReport report = update.get();
        List<long[]> loads = new ArrayList<>();
        for (Router r : model.routers()) {
            loads.add(r.loads());
        }
        model.updateRouterBias(biasRate);
        return new Outcome(loss, ce, mtp, aux, correct, report, List.copyOf(loads));
    }
}
