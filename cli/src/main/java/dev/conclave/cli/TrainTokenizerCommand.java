package dev.conclave.cli;

import dev.conclave.text.tokenizer.BpeVocabulary;
import dev.conclave.text.tokenizer.GlmTokenizerFiles;
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

/**
 * {@code conclave train tokenizer}: trains a byte-level BPE tokenizer on a corpus and writes GLM-4.5-style
 * {@code tokenizer.json} (GLM's special tokens after the trained ones) and {@code tokenizer_config.json} (the GLM
 * chat template) into a checkpoint directory.
 */
@Command(name = "tokenizer",
        mixinStandardHelpOptions = true,
        description = "Train a byte-level BPE tokenizer with GLM's special tokens and chat template.")
final class TrainTokenizerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", required = true,
            description = "UTF-8 text file (one document), or .jsonl with a string field \"text\" per line; repeatable")
    List<Path> corpus;

    @Option(names = "--vocab-size", required = true,
            description = "tokens in all: 256 bytes, the learned merges and the GLM special tokens")
    int vocabSize;

    @Option(names = "--out", required = true, description = "directory to write tokenizer.json and tokenizer_config.json into")
    Path out;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        BpeVocabulary vocabulary = GlmTokenizerFiles.train(corpus, vocabSize, out);
        PrintWriter print = spec.commandLine().getOut();
        print.printf(Locale.ROOT, "wrote %s: %d tokens (%d merges, %d special tokens) in %.1f s%n",
                out.resolve("tokenizer.json"), vocabulary.size(), vocabulary.merges().size(),
                vocabulary.specialTokens().size(), (System.nanoTime() - start) / 1e9);
        if (vocabulary.size() < vocabSize) {
            print.printf(Locale.ROOT, "the corpus ran out of pairs to merge before %d tokens%n", vocabSize);
        }
        print.flush();
        return 0;
    }
}
