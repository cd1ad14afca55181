package dev.conclave.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The operator CLI: {@code conclave <command> --help} describes each command. */
@Command(name = "conclave",
        mixinStandardHelpOptions = true,
        version = "conclave 0.1.0",
        description = "Serve and train GLM-4.5-architecture MoE models.",
        subcommands = {
                LogitsCommand.class,
                GenerateCommand.class,
                BenchCommand.class,
                NodeCommand.class,
                StatusCommand.class,
                BenchDispatchCommand.class,
                DriverCommand.class,
                DemoCommand.class,
                ServeCommand.class,
                ChatCommand.class,
                BenchServeCommand.class,
                CommandLine.HelpCommand.class,
                PlanCommand.class,
                RandomModelCommand.class,
                TasksCommand.class,
                TrainCommand.class,
        })
public final class Conclave implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests run commands through it in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Conclave());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + ex.getMessage());
            return 2;
        });
        return cl;
    }
}
