package dev.conclave.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code conclave train}: groups what Conclave trains; {@code train sft} trains a model, {@code train tokenizer} a BPE tokenizer. */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        description = "Train models (sft, grpo) and tokenizers (tokenizer).",
        subcommands = {TrainSftCommand.class, TrainGrpoCommand.class, TrainTokenizerCommand.class})
final class TrainCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
