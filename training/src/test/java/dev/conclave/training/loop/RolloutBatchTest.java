package dev.conclave.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conclave.training.tasks.RlTask;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Training spec §2.4 invariant 1: the trainer rejects samples older than the staleness bound, whole groups at a time. */
class RolloutBatchTest {

    private static RolloutBatch.Group group(String id, long... versions) {
        List<Rollouts.Completion> completions = Arrays.stream(versions)
                .mapToObj(v -> new Rollouts.Completion(0, new int[] {1, 2}, new double[] {-0.1, -0.2}, true, v)).toList();
        return new RolloutBatch.Group(new RlTask(id, null, null, "exact_match", "1"), new int[] {5},
                completions, new double[versions.length]);
    }

    @Test
    void samplesOlderThanTheBoundAreRejectedWithTheirGroup() {
        RolloutBatch batch = new RolloutBatch(4, 1.0,
                List.of(group("a", 4, 4), group("b", 5, 5), group("c", 4, 3), group("d", 3, 3)), 4);
        assertEquals(8, batch.samples());

        RolloutBatch oneStepOff = batch.withoutStale(5, 1);
        assertEquals(List.of("a", "b"), oneStepOff.groups().stream().map(g -> g.task().id()).toList());
        assertEquals(4, oneStepOff.samples());

        RolloutBatch sync = batch.withoutStale(5, 0);
        assertEquals(List.of("b"), sync.groups().stream().map(g -> g.task().id()).toList());
    }
}
