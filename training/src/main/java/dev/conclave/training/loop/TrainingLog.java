package dev.conclave.training.loop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.training.report.LineChart;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's per-step metrics: one JSON object per line in {@code metrics.jsonl} (appended, so a resumed run
 * continues the same file) and the curves of chosen metrics as a PNG.
 */
public final class TrainingLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();

    public TrainingLog(Path dir) {
        try {
            Files.createDirectories(dir);
            this.out = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot open metrics.jsonl", e);
        }
    }

    /** Appends one step's metrics (name → value) and remembers them for the charts. */
    public void record(long step, Map<String, Double> metrics) {
        ObjectNode line = JSON.createObjectNode();
        line.put("step", step);
        metrics.forEach((k, v) -> {
            if (Double.isFinite(v)) {
                line.put(k, v);
            } else {
                line.putNull(k);
            }
            series.computeIfAbsent(k, x -> new ArrayList<>()).add(new double[] {step, v});
        });
        try {
            out.write(line.toString());
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to metrics.jsonl", e);
        }
    }

    /**
     * A chart of the named metrics against the step; {@code ownScale} metrics get their own vertical range.
     * Metrics never recorded are left out.
     */
    public void chart(Path png, String title, String yLabel, List<String> metrics, List<String> ownScale) throws IOException {
        LineChart chart = new LineChart(title, "step", yLabel);
        for (String m : metrics) {
            add(chart, m, false);
        }
        for (String m : ownScale) {
            add(chart, m, true);
        }
        chart.write(png);
    }

    private void add(LineChart chart, String metric, boolean ownScale) {
        List<double[]> points = series.get(metric);
        if (points == null) {
            return;
        }
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        if (ownScale) {
            chart.addOwnScale(metric, x, y);
        } else {
            chart.add(metric, x, y);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close metrics.jsonl", e);
        }
    }
}
