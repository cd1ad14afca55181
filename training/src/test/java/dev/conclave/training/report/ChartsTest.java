package dev.conclave.training.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

    @Test
    void lineChartDrawsEachSeriesInItsColour(@TempDir Path dir) throws Exception {
        double[] x = {0, 1, 2, 3};
        Path png = dir.resolve("loss.png");
        new LineChart("loss", "step", "nats").add("train", x, new double[] {4, 3, 2, 1})
                .addOwnScale("tokens/s", x, new double[] {100, 300, 200, 400}).write(png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(960, img.getWidth());
        assertTrue(count(img, new Color(0x1f77b4)) > 200, "first series drawn");
        assertTrue(count(img, new Color(0xd62728)) > 200, "second series drawn");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test
    void lineChartRejectsMismatchedSeries() {
        assertThrows(IllegalArgumentException.class,
                () -> new LineChart("t", "x", "y").add("bad", new double[2], new double[3]));
    }

    @Test
    void maxOverMeanIsTheBusiestExpertsShare() {
        assertEquals(1.0, ExpertLoadChart.maxOverMean(new double[] {5, 5, 5, 5}), 1e-12);
        assertEquals(2.0, ExpertLoadChart.maxOverMean(new double[] {2, 0, 1, 1}), 1e-12);
        assertEquals(1.0, ExpertLoadChart.maxOverMean(new double[] {0, 0}), 1e-12);
    }

    @Test
    void expertLoadColoursFollowTheRatio() {
        assertEquals(Color.WHITE, ExpertLoadChart.colour(1));
        assertEquals(new Color(0, 0, 255), ExpertLoadChart.colour(0));
        assertEquals(new Color(255, 0, 0), ExpertLoadChart.colour(3));
        BufferedImage img = new ExpertLoadChart("load", new String[] {"layer 1"}, new double[][] {{3, 1, 0, 0}}).render();
        assertTrue(count(img, new Color(255, 0, 0)) > 0, "an overloaded expert is red");
        assertTrue(count(img, new Color(0, 0, 255)) > 0, "an idle expert is blue");
        assertNotEquals(0, img.getHeight());
    }

    private static int count(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (img.getRGB(x, y) == c.getRGB()) {
                    n++;
                }
            }
        }
        return n;
    }
}
