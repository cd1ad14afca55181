package dev.conclave.placement;

import java.time.Duration;

/**
 * How the Aeron data plane that carries the MoE all-to-all is set up, the same on every node.
 *
 * @param embeddedDriver  whether each node starts its own media driver in-process (the default) rather than
 *                        connecting to an external one
 * @param driverDirectory the media driver's directory, or null for the data plane's default
 * @param termLengthBytes the length of each publication's term buffer: a power of two from 64 KiB to 1 GiB
 *                        (Aeron's limits); Aeron takes messages of up to an eighth of it
 * @param mtuBytes        the largest frame Aeron sends, a multiple of 32 from 64 to 65504 bytes (Aeron's
 *                        limits); larger messages are fragmented
 * @param sendTimeout     how long a send retries under back-pressure before it fails its step
 * @param stepTimeout     how long a step waits for all expert outputs before it fails naming the nodes that
 *                        did not answer; longer than the send timeout, so a stuck send reports itself first
 */
public record DataPlaneSpec(
        boolean embeddedDriver,
        String driverDirectory,
        int termLengthBytes,
        int mtuBytes,
        Duration sendTimeout,
        Duration stepTimeout) {

    public static final int MIN_TERM_LENGTH = 64 * 1024;
    public static final int MAX_TERM_LENGTH = 1024 * 1024 * 1024;
    public static final int MIN_MTU = 64;
    public static final int MAX_MTU = 65504;
    public static final int FRAME_ALIGNMENT = 32;

    /** Embedded driver, 4 MiB terms, 8 KiB MTU, sends give up after 2 s, a layer's expert exchange after 10 s. */
    public static DataPlaneSpec defaults() {
        return new DataPlaneSpec(true, null, 4 * 1024 * 1024, 8 * 1024, Duration.ofSeconds(2), Duration.ofSeconds(10));
    }
}
