package dev.conclave.training.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A PNG line chart of one or more series against the step: training curves people would rather see
 * than read. Each series may use the left axis or, for quantities of another scale, its own range
 * normalised into the plot and labelled in the legend.
 */
public final class LineChart {

    private static final Color[] PALETTE = {
            new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
            new Color(0xff7f0e), new Color(0x17becf)};

    /** One curve: its points (x = step) and whether it gets its own vertical scale. */
    public record Series(String label, double[] x, double[] y, boolean ownScale) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series " + label + ": " + x.length + " x for " + y.length + " y");
            }
        }
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LineChart add(String label, double[] x, double[] y) {
        series.add(new Series(label, x, y, false));
        return this;
    }

    /** A series drawn on its own range (printed in the legend), for a quantity of another scale. */
    public LineChart addOwnScale(String label, double[] x, double[] y) {
        series.add(new Series(label, x, y, true));
        return this;
    }

    public void write(Path png) throws IOException {
        Png.write(render(960, 540), png);
    }

    BufferedImage render(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 80, right = 30, top = 50, bottom = 60;
        int pw = width - left - right, ph = height - top - bottom;

        double[] xr = range(true, false);
        double[] yr = range(false, false);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        g.setColor(new Color(0xdddddd));
        for (int i = 0; i <= 5; i++) {
            int py = top + ph - i * ph / 5;
            g.drawLine(left, py, left + pw, py);
            int px = left + i * pw / 5;
            g.drawLine(px, top, px, top + ph);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 5; i++) {
            String ys = fmt(yr[0] + i * (yr[1] - yr[0]) / 5);
            g.drawString(ys, left - 6 - fm.stringWidth(ys), top + ph - i * ph / 5 + 4);
            String xs = fmt(xr[0] + i * (xr[1] - xr[0]) / 5);
            g.drawString(xs, left + i * pw / 5 - fm.stringWidth(xs) / 2, top + ph + 16);
        }
        g.drawString(xLabel, left + pw / 2 - fm.stringWidth(xLabel) / 2, height - 20);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + ph / 2 + fm.stringWidth(yLabel) / 2), 20);
        g.rotate(Math.PI / 2);

        int legendY = top + 16;
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            double[] r = ser.ownScale() ? bounds(ser.y()) : yr;
            g.setColor(PALETTE[s % PALETTE.length]);
            g.setStroke(new BasicStroke(2f));
            int prevX = 0, prevY = 0;
            boolean have = false;
            for (int i = 0; i < ser.x().length; i++) {
                if (!Double.isFinite(ser.y()[i])) {
                    have = false;
                    continue;
                }
                int px = left + (int) Math.round((ser.x()[i] - xr[0]) / (xr[1] - xr[0]) * pw);
                int py = top + ph - (int) Math.round((ser.y()[i] - r[0]) / (r[1] - r[0]) * ph);
                if (have) {
                    g.drawLine(prevX, prevY, px, py);
                } else if (ser.x().length == 1) {
                    g.fillOval(px - 3, py - 3, 6, 6);
                }
                prevX = px;
                prevY = py;
                have = true;
            }
            String label = ser.ownScale() ? ser.label() + " (" + fmt(r[0]) + " – " + fmt(r[1]) + ")" : ser.label();
            g.fillRect(left + pw - 260, legendY - 9, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(label, left + pw - 240, legendY - 4);
            legendY += 16;
        }
        g.dispose();
        return img;
    }

    private double[] range(boolean xAxis, boolean includeOwn) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            if (!xAxis && s.ownScale() && !includeOwn) {
                continue;
            }
            double[] b = bounds(xAxis ? s.x() : s.y());
            lo = Math.min(lo, b[0]);
            hi = Math.max(hi, b[1]);
        }
        if (!Double.isFinite(lo)) {
            return new double[] {0, 1};
        }
        return lo == hi ? new double[] {lo - 0.5, hi + 0.5} : new double[] {lo, hi};
    }

    private static double[] bounds(double[] v) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            if (Double.isFinite(d)) {
                lo = Math.min(lo, d);
                hi = Math.max(hi, d);
            }
        }
        if (!Double.isFinite(lo)) {
            return new double[] {0, 1};
        }
        return lo == hi ? new double[] {lo - 0.5, hi + 0.5} : new double[] {lo, hi};
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e5)) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.3f", v);
    }
}
