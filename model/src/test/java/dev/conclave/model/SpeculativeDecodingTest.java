package dev.conclave.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conclave.attention.KvCache;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MTP speculative decoding on the golden fixtures (every one has an MTP layer): greedy output is the plain
 * greedy output, and after rejections both caches hold what a non-speculative run computes.
 */
class SpeculativeDecodingTest {

    private static Parallel parallel;
    private static final Map<String, Checkpoint> CHECKPOINTS = new ConcurrentHashMap<>();
    private static final Map<String, InProcessPipeline> PIPELINES = new ConcurrentHashMap<>();

    @BeforeAll
    static void startThreads() {
        parallel = Parallel.create(2);
    }

    @AfterAll
    static void closeAll() {
        CHECKPOINTS.values().forEach(Checkpoint::close);
        parallel.close();
    }

    private static InProcessPipeline pipeline(String fixture) {
        return PIPELINES.computeIfAbsent(fixture, name -> {
            Checkpoint c = CHECKPOINTS.computeIfAbsent(name, n -> Checkpoint.open(Fixtures.fixture(n)));
            return InProcessPipeline.load(c, parallel);
        });
    }

    private static int[] prompt(int seed, int length, int vocab) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 131 + i * 37) % (vocab - 1) + 1;
        }
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.TINY_A, Fixtures.TINY_B, Fixtures.TINY_C, Fixtures.TINY_D})
    void greedyWithMtpDraftsIsPlainGreedy(String fixture) {
        InProcessPipeline p = pipeline(fixture);
        for (int seed = 1; seed <= 3; seed++) {
            int[] prompt = prompt(seed, 5 + 4 * seed, p.vocab());
            int[] plain = new Generator(p).generate(prompt, 40, Sampler.greedy(), Set.of(), t -> { });
            for (int drafts = 1; drafts <= 3; drafts++) {
                Generator g = new Generator(p, drafts);
                List<Integer> seen = new ArrayList<>();
                int[] speculative = g.generate(prompt, 40, Sampler.greedy(), Set.of(), seen::add);
                assertArrayEquals(plain, speculative, fixture + " seed " + seed + " with " + drafts + " drafts");
                assertEquals(Arrays.stream(speculative).boxed().toList(), seen);
                MtpStats s = g.lastStats();
                System.out.println(fixture + " seed " + seed + " drafts " + drafts + " " + s + " mean " + s.meanTokensPerStep());
                assertTrue(s.proposed(0) > 0, "drafts were verified");
                assertTrue(s.tokens() <= 40 - 1, "verification steps emit only tokens after the first");
            }
        }
    }

    // --- a model whose MTP layer drafts well: drafts accepted and rejected ------------------------------------

    private static InProcessPipeline selfDrafting;

    private static InProcessPipeline selfDrafting() throws java.io.IOException {
        if (selfDrafting == null) {
            java.nio.file.Path dir = SelfDraftingCheckpoint.write(java.nio.file.Files.createTempDirectory("conclave-self-drafting-"), 11);
            Checkpoint c = Checkpoint.open(dir);
            CHECKPOINTS.put("self-drafting", c);
            selfDrafting = InProcessPipeline.load(c, parallel);
        }
        return selfDrafting;
    }

    @org.junit.jupiter.api.Test
    void selfDraftingModelAcceptsAndRejects() throws Exception {
        InProcessPipeline p = selfDrafting();
        for (int seed = 1; seed <= 4; seed++) {
            int[] prompt = prompt(seed, 3 + 5 * seed, p.vocab());
            int[] plain = new Generator(p).generate(prompt, 48, Sampler.greedy(), Set.of(), t -> { });
            for (int drafts = 1; drafts <= 4; drafts++) {
                Generator g = new Generator(p, drafts);
                int[] speculative = g.generate(prompt, 48, Sampler.greedy(), Set.of(), t -> { });
                MtpStats s = g.lastStats();
                System.out.println("self seed " + seed + " drafts " + drafts + " " + s + " mean " + s.meanTokensPerStep()
                        + " " + Arrays.toString(plain));
                assertArrayEquals(plain, speculative, "seed " + seed + " with " + drafts + " drafts");
            }
        }
    }
}
