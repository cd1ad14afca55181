package dev.conclave.cli;

import dev.conclave.dispatch.DataPlane;
import io.aeron.driver.MediaDriver;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "driver", mixinStandardHelpOptions = true,
        header = "Run the media driver that the nodes of one host share (IPC).",
        description = {"Runs an Aeron media driver that the nodes of this host share (placement data-plane",
                "embedded-driver = false, driver-directory = the same --dir); they then exchange expert rows over IPC."})
final class DriverCommand implements Callable<Integer> {

    @Option(names = "--dir", defaultValue = "/dev/shm/conclave-aeron-local",
            description = "The driver's directory (default ${DEFAULT-VALUE}).")
    String dir;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        try (MediaDriver driver = DataPlane.launchDriver(dir)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "conclave-driver-shutdown"));
            spec.commandLine().getErr().println("conclave: media driver running in " + driver.aeronDirectoryName());
            spec.commandLine().getErr().flush();
            stop.await();
        }
        return 0;
    }
}
