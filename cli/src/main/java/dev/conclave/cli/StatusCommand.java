package dev.conclave.cli;

import dev.conclave.actors.ClusterClient;
import dev.conclave.actors.NodeAgent;
import dev.conclave.placement.PlacementLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Lists a running cluster's nodes: roles, device, hosted layers and experts, and health.")
final class StatusCommand implements Callable<Integer> {

    @Option(names = "--cluster", required = true, paramLabel = "FILE", description = "The cluster's placement (HOCON).")
    Path cluster;

    @Option(names = "--timeout", defaultValue = "10s", description = "How long to wait for the head node (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--json", description = "Print the status as JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        try (ClusterClient client = ClusterClient.connect(PlacementLoader.load(cluster))) {
            NodeAgent.ClusterStatus status = client.status(Durations.parse(timeout, "--timeout"));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(status));
                return 0;
            }
            String row = "%-12s %-18s %-28s %-8s %-12s %-8s %-10s %s%n";
            out.printf(row, "node", "address", "roles", "device", "health", "serving", "attention", "experts (layer:ids)");
            for (NodeAgent.NodeStatus n : status.nodes()) {
                String serving = n.expertsServing() == null ? "-" : n.expertsServing() ? "yes" : "no";
                out.printf(row, n.node(), n.address(), String.join(",", n.roles()), n.device(), n.health(), serving,
                        n.attentionLayers().isEmpty() ? "-" : n.attentionLayers(), n.experts().isEmpty() ? "-" : n.experts());
            }
            out.println("(as seen by " + status.reporter() + ")");
        }
        return 0;
    }
}
