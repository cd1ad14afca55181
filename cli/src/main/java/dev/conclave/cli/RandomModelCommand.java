package dev.conclave.cli;

import dev.conclave.core.config.ConfigWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.model.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.DoubleConsumer;

/**
 * {@code conclave random-model}: writes a random GLM-4.5-architecture checkpoint. Every config field has an
 * option named after its HF key; the defaults are the project's bench model (≈1.13 B parameters, 64 experts).
 */
@Command(name = "random-model",
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Write a randomly initialised GLM-4.5-architecture checkpoint (config.json + safetensors).")
final class RandomModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, description = "directory to write the checkpoint into")
    Path out;

    @Option(names = "--dtype", defaultValue = "BF16", description = "weight dtype: ${COMPLETION-CANDIDATES}")
    DType dtype;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the random weights")
    long seed;

    @Option(names = "--shard-size-mb", defaultValue = "0",
            description = "largest shard in MB (10^6 bytes, as HF's max_shard_size); 0 writes one model.safetensors")
    long shardSizeMb;

    @Option(names = "--no-mtp-copies",
            description = "omit the MTP layer's copies of embed_tokens and lm_head (GLM-4.6 layout)")
    boolean noMtpCopies;

    @Option(names = "--vocab-size", defaultValue = "32000")
    int vocabSize;

    @Option(names = "--hidden-size", defaultValue = "1024")
    int hiddenSize;

    @Option(names = "--num-hidden-layers", defaultValue = "12")
    int numHiddenLayers;

    @Option(names = "--num-attention-heads", defaultValue = "16")
    int numAttentionHeads;

    @Option(names = "--num-key-value-heads", defaultValue = "4")
    int numKeyValueHeads;

    @Option(names = "--head-dim", defaultValue = "128")
    int headDim;

    @Option(names = "--intermediate-size", defaultValue = "2816")
    int intermediateSize;

    @Option(names = "--moe-intermediate-size", defaultValue = "384")
    int moeIntermediateSize;

    @Option(names = "--n-routed-experts", defaultValue = "64")
    int nRoutedExperts;

    @Option(names = "--n-shared-experts", defaultValue = "1")
    int nSharedExperts;

    @Option(names = "--num-experts-per-tok", defaultValue = "8")
    int numExpertsPerTok;

    @Option(names = "--n-group", defaultValue = "1")
    int nGroup;

    @Option(names = "--topk-group", defaultValue = "1")
    int topkGroup;

    @Option(names = "--first-k-dense-replace", defaultValue = "1")
    int firstKDenseReplace;

    @Option(names = "--norm-topk-prob", arity = "1", paramLabel = "true|false", defaultValue = "true")
    boolean normTopkProb;

    @Option(names = "--routed-scaling-factor", defaultValue = "2.5")
    double routedScalingFactor;

    @Option(names = "--rope-theta", defaultValue = "1000000")
    double ropeTheta;

    @Option(names = "--partial-rotary-factor", defaultValue = "0.5")
    double partialRotaryFactor;

    @Option(names = "--attention-bias", arity = "1", paramLabel = "true|false", defaultValue = "true")
    boolean attentionBias;

    @Option(names = "--use-qk-norm", arity = "1", paramLabel = "true|false", defaultValue = "false")
    boolean useQkNorm;

    @Option(names = "--rms-norm-eps", defaultValue = "1e-5")
    double rmsNormEps;

    @Option(names = "--max-position-embeddings", defaultValue = "131072")
    int maxPositionEmbeddings;

    @Option(names = "--num-nextn-predict-layers", defaultValue = "1")
    int numNextnPredictLayers;

    @Option(names = "--pad-token-id", defaultValue = "0")
    int padTokenId;

    @Option(names = "--eos-token-id", split = ",", defaultValue = "1", description = "comma-separated stop token ids")
    List<Integer> eosTokenIds;

    /** The config the options describe; tie_word_embeddings is always false, as in every GLM-4.5 model. */
    ModelConfig modelConfig() {
        return new ModelConfig("glm4_moe", vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, intermediateSize, moeIntermediateSize, nRoutedExperts, nSharedExperts,
                numExpertsPerTok, nGroup, topkGroup, firstKDenseReplace, normTopkProb, routedScalingFactor,
                ropeTheta, partialRotaryFactor, attentionBias, useQkNorm, rmsNormEps, maxPositionEmbeddings,
                false, numNextnPredictLayers, padTokenId, eosTokenIds, ConfigWriter.torchDtype(dtype));
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        RandomCheckpoint.Options options = new RandomCheckpoint.Options(dtype, seed, !noMtpCopies, shardSizeMb * 1_000_000);
        RandomCheckpoint.Written written = RandomCheckpoint.write(modelConfig(), options, out, progress(spec.commandLine().getErr()));
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "wrote %s: %d tensors, %s parameters, %s in %d file(s), %.1f s%n", out, written.tensors(),
                Sizes.params(written.params()), Sizes.bytes(written.bytes()), written.files(),
                (System.nanoTime() - start) / 1e9);
        stdout.flush();
        return 0;
    }

    /** A percentage line on stderr, rewritten in place whenever it grows. */
    private static DoubleConsumer progress(PrintWriter err) {
        int[] shown = {-1};
        return fraction -> {
            int percent = (int) (fraction * 100);
            if (percent > shown[0]) {
                shown[0] = percent;
                err.print("\rwriting weights: " + percent + "%" + (percent == 100 ? "\n" : ""));
                err.flush();
            }
        };
    }
}
