package dev.conclave.cli;

import dev.conclave.actors.ConclaveNode;
import dev.conclave.placement.PlacementLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "node", mixinStandardHelpOptions = true,
        header = "Start one node of a cluster placement.",
        description = {"Starts one node of a cluster placement: it builds only the stages the placement gives it,",
                "joins the Pekko cluster and serves until stopped (Ctrl-C leaves the cluster cleanly).",
                "With --train it owns its routed experts for a training run driven from the head."})
final class NodeCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "Placement (HOCON), e.g. cluster-config/local-3-node.conf.")
    Path config;

    @Option(names = "--node", required = true, paramLabel = "NAME", description = "Which node of the placement this process is.")
    String node;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory (every node reads the same one).")
    Path model;

    @Option(names = "--train", description = {"Own this node's routed experts in a training run instead of serving;",
            "the head of the run is `conclave train sft|grpo --cluster FILE`."})
    boolean train;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ConclaveNode running = ConclaveNode.start(PlacementLoader.load(config), node, model,
                train ? ConclaveNode.Mode.TRAIN : ConclaveNode.Mode.SERVE);
        Runtime.getRuntime().addShutdownHook(new Thread(running::close, "conclave-node-shutdown"));
        spec.commandLine().getErr().println("conclave: node " + node + (train ? " (training)" : "") + " is up (" + config + ")");
        spec.commandLine().getErr().flush();
        running.system().getWhenTerminated().toCompletableFuture().get();
        return 0;
    }
}
