package dev.conclave.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.dispatch.DataPlane.Settings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A miniature run of the benchmark: every case runs and reports sane figures. */
@Timeout(20)
class DispatchBenchTest {

    @Test
    void everyCaseReportsLatencyOrThroughput() {
        DispatchBench.Options o = new DispatchBench.Options(64, 8, 2, new int[] {1, 4}, 2, Duration.ofMillis(90), 64, 16 << 10,
                new Settings(1 << 20, 8 << 10, Duration.ofSeconds(1)));
        List<DispatchBench.Row> rows = DispatchBench.run(o);
        assertEquals(List.of("aeron-ipc", "aeron-ipc", "aeron-ipc", "aeron-udp", "aeron-udp", "aeron-udp", "tcp", "tcp", "tcp"),
                rows.stream().map(DispatchBench.Row::transport).toList());
        for (DispatchBench.Row r : rows) {
            assertTrue(r.megabytesPerSecond() > 0 && r.samples() >= 5, r.toString());
            assertTrue(r.tokens() == 0 || r.p50Micros() > 0 && r.p99Micros() >= r.p50Micros(), r.toString());
        }
        String table = DispatchBench.table(rows);
        assertTrue(table.contains("dispatch+combine") && table.contains("one-way 16 KiB"), table);
    }
}
