package dev.conclave.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepCostTest {

    @TempDir
    Path tmp;

    /** The bound by hand: main 100/150/210 µs, MTP 30/40/55 µs by rows. */
    @Test
    void predictedSpeedupIsTokensOverTheCostOfOneSpeculativeStep() {
        var costs = new StepCost.Costs(new double[] {100, 150, 210}, new double[] {30, 40, 55});
        assertEquals(1.0, costs.predictedSpeedup(0, 1.0), 1e-12);
        // 1 draft, 2 tokens per step: 2·100 / (150 + MTP over 2 rows 40).
        assertEquals(200.0 / 190, costs.predictedSpeedup(1, 2.0), 1e-12);
        // 2 drafts, 2.5 tokens: MTP over 2.5 rows is 47.5, plus one chained row of 30.
        assertEquals(250.0 / (210 + 47.5 + 30), costs.predictedSpeedup(2, 2.5), 1e-12);
        assertEquals(30, costs.mtpAt(0.5), 1e-12);
        assertEquals(55, costs.mtpAt(3.7), 1e-12);
    }

    @Test
    void measuresEveryRowCountOfTheMainModelAndTheMtpLayer() throws Exception {
        Path dir = SelfDraftingCheckpoint.write(tmp, 5);
        try (Checkpoint c = Checkpoint.open(dir); Parallel parallel = Parallel.serial()) {
            InProcessPipeline p = InProcessPipeline.load(c, parallel);
            StepCost.Costs costs = StepCost.measure(p, new int[] {3, 1, 4, 1, 5, 9, 2, 6}, 3, 5);
            assertEquals(3, costs.main().length);
            assertEquals(3, costs.mtp().length);
            for (int r = 0; r < 3; r++) {
                assertTrue(costs.main()[r] > 0 && costs.mtp()[r] > 0, "row count " + (r + 1));
            }
        }
    }
}
