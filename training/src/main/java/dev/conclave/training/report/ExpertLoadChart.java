package dev.conclave.training.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Expert load per MoE layer as a heat map: one row per layer, one cell per expert, coloured by the
 * expert's share of tokens relative to the layer's mean (white = mean, blue below, red above). Each row
 * is labelled with its busiest-expert ratio max/mean, the figure loss-free balancing keeps near 1.
 */
public final class ExpertLoadChart {

    private final String title;
    private final String[] layerNames;
    private final double[][] loads;

    /** {@code loads[layer][expert]}: tokens routed to each expert (any scale). */
    public ExpertLoadChart(String title, String[] layerNames, double[][] loads) {
        if (layerNames.length != loads.length || loads.length == 0) {
            throw new IllegalArgumentException(layerNames.length + " layer names for " + loads.length + " load rows");
        }
        this.title = title;
        this.layerNames = layerNames.clone();
        this.loads = loads.clone();
    }

    /** max/mean of one layer's loads; 1 when every expert got the same share. */
    public static double maxOverMean(double[] load) {
        double sum = 0, max = 0;
        for (double v : load) {
            sum += v;
            max = Math.max(max, v);
        }
        return sum == 0 ? 1 : max / (sum / load.length);
    }

    public void write(Path png) throws IOException {
        Png.write(render(), png);
    }

    BufferedImage render() {
        int experts = 0;
        for (double[] row : loads) {
            experts = Math.max(experts, row.length);
        }
        int cell = Math.max(8, Math.min(40, 720 / Math.max(1, experts)));
        int left = 170, top = 50, right = 130;
        int width = left + experts * cell + right;
        int height = top + loads.length * cell + 60;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, 10, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        for (int l = 0; l < loads.length; l++) {
            double[] row = loads[l];
            double mean = 0;
            for (double v : row) {
                mean += v / row.length;
            }
            int y = top + l * cell;
            for (int e = 0; e < row.length; e++) {
                g.setColor(colour(mean == 0 ? 1 : row[e] / mean));
                g.fillRect(left + e * cell, y, cell, cell);
            }
            g.setColor(Color.GRAY);
            g.drawRect(left, y, row.length * cell, cell);
            g.setColor(Color.BLACK);
            String name = layerNames[l];
            g.drawString(name, left - 8 - fm.stringWidth(name), y + cell / 2 + 4);
            g.drawString(String.format(Locale.ROOT, "max/mean %.2f", maxOverMean(row)),
                    left + experts * cell + 8, y + cell / 2 + 4);
        }
        g.drawString("expert →   colour: load / layer mean (blue 0, white 1, red ≥ 2)", left, height - 20);
        g.dispose();
        return img;
    }

    /** Diverging map: 0 → blue, 1 → white, ≥ 2 → red. */
    static Color colour(double ratio) {
        double t = Math.max(0, Math.min(2, ratio));
        if (t <= 1) {
            int c = (int) Math.round(255 * t);
            return new Color(c, c, 255);
        }
        int c = (int) Math.round(255 * (2 - t));
        return new Color(255, c, c);
    }
}
