package dev.conclave.actors;

import dev.conclave.core.parallel.Parallel;
import dev.conclave.placement.Device;
import java.util.HashMap;
import java.util.Map;

/**
 * The compute devices of one node. A CPU device named {@code cpu} owns one thread per available
 * processor and {@code cpu:a-b} one per listed core; stages placed on the same device share its threads
 * (taking turns, one parallel region at a time).
 */
public final class Devices implements AutoCloseable {

    private final Map<Device, Parallel> pools = new HashMap<>();

    public synchronized Parallel cpu(Device device) {
        if (device.kind() != Device.Kind.CPU) {
            throw new IllegalArgumentException("device " + device + " is not a CPU; CUDA devices come with the GPU"
                    + " backend, which this build does not include");
        }
        return pools.computeIfAbsent(device, d -> Parallel.create(
                d.indices().isEmpty() ? Runtime.getRuntime().availableProcessors() : d.indices().size()));
    }

    @Override
    public synchronized void close() {
        pools.values().forEach(Parallel::close);
        pools.clear();
    }
}
