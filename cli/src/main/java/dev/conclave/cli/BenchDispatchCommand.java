package dev.conclave.cli;

import dev.conclave.dispatch.DispatchBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

@Command(name = "bench-dispatch", mixinStandardHelpOptions = true,
        header = "Time one MoE layer's dispatch + combine over Aeron IPC, UDP and TCP.",
        description = {"Times one MoE layer's dispatch + combine (hidden 1024, top-8 of 64 experts",
                "on 2 peers) for 1, 8, 64 and 256 tokens over Aeron IPC and UDP loopback, next",
                "to raw Aeron throughput and a plain TCP socket moving the same bytes, all",
                "measured in this run."})
final class BenchDispatchCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        out.print(DispatchBench.table(DispatchBench.run(DispatchBench.Options.defaults())));
        out.flush();
        return 0;
    }
}
