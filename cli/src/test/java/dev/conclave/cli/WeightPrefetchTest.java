package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

/** Loading progress is the checkpoint's weight bytes paged in, and the progress bar renders it to the end. */
class WeightPrefetchTest {

    /** The data sections of the safetensors files: each file's size less its 8-byte length and its JSON header. */
    private static long dataBytes(Path dir) throws IOException {
        long total = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                try (FileChannel channel = FileChannel.open(f)) {
                    ByteBuffer length = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                    channel.read(length, 0);
                    total += channel.size() - Long.BYTES - length.getLong(0);
                }
            }
        }
        return total;
    }

    @Test
    void reportsEveryWeightByteOnceInOrder() throws IOException {
        Path dir = Fixtures.fixture(Fixtures.TINY_C);
        List<Long> reports = new ArrayList<>();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            WeightPrefetch.run(checkpoint, reports::add);
            assertEquals(checkpoint.names().size(), reports.size(), "one report per tensor (each is under one slice)");
            assertEquals(WeightPrefetch.totalBytes(checkpoint), reports.getLast());
        }
        for (int i = 1; i < reports.size(); i++) {
            assertTrue(reports.get(i) > reports.get(i - 1), "progress must only grow: " + reports);
        }
        assertEquals(dataBytes(dir), reports.getLast());
    }

    @Test
    void theBarRendersThePrefetchToOneHundredPercent() {
        List<String> frames = new CopyOnWriteArrayList<>();
        try (Checkpoint checkpoint = Checkpoint.open(Fixtures.fixture(Fixtures.TINY_C));
             ProgressBar bar = ModelOptions.loadingBar(WeightPrefetch.totalBytes(checkpoint),
                     new DelegatingProgressBarConsumer(frames::add, 100))) {
            WeightPrefetch.run(checkpoint, bar::stepTo);
        }
        String last = frames.getLast();
        assertTrue(last.startsWith("Loading weights 100%"), last);
    }
}
