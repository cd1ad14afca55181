package dev.conclave.training.optim;

import dev.conclave.training.Param;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerTest {

    private static List<Param> model() {
        return List.of(
                new Param("model.embed_tokens.weight", Param.Kind.EMBEDDING, 10, 4),
                new Param("model.layers.0.self_attn.q_proj.weight", Param.Kind.MATRIX, 6, 4),
                new Param("model.layers.0.self_attn.q_proj.bias", Param.Kind.VECTOR, 6),
                new Param("model.layers.0.mlp.experts.0.gate_proj.weight", Param.Kind.MATRIX, 3, 4),
                new Param("model.layers.0.mlp.gate.weight", Param.Kind.MATRIX, 2, 4),
                new Param("model.layers.0.mlp.gate.e_score_correction_bias", Param.Kind.VECTOR, 2),
                new Param("model.norm.weight", Param.Kind.VECTOR, 4),
                new Param("lm_head.weight", Param.Kind.HEAD, 10, 4));
    }

    private static void randomGrads(List<Param> params, SplittableRandom random) {
        for (Param p : params) {
            double[] g = p.grad();
            for (int i = 0; i < g.length; i++) {
                g[i] = random.nextGaussian() * 0.3;
            }
        }
    }

    @Test
    void partitionFollowsTheSpec() {
        Optimizer opt = new Optimizer(model(), OptimizerConfig.pretraining(LrSchedule.constant(1e-3)));
        assertEquals(List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.experts.0.gate_proj.weight",
                        "model.layers.0.mlp.gate.weight"),
                opt.muonParams().stream().map(Param::name).toList());
        assertEquals(List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.bias", "model.norm.weight",
                "lm_head.weight"), opt.adamwParams().stream().map(Param::name).toList());
        assertTrue(opt.params().stream().noneMatch(p -> p.name().endsWith("e_score_correction_bias")));

        OptimizerConfig headOnMuon = new OptimizerConfig(true, true, true, Muon.Settings.glm45(), AdamW.Settings.pretraining(),
                1.0, LrSchedule.constant(1e-3));
        assertTrue(new Optimizer(model(), headOnMuon).muonParams().stream().anyMatch(p -> p.name().equals("lm_head.weight")));
        OptimizerConfig routerOnAdam = new OptimizerConfig(true, false, false, Muon.Settings.glm45(), AdamW.Settings.pretraining(),
                1.0, LrSchedule.constant(1e-3));
        assertTrue(new Optimizer(model(), routerOnAdam).adamwParams().stream().anyMatch(p -> p.name().equals("model.layers.0.mlp.gate.weight")));
        assertTrue(new Optimizer(model(), OptimizerConfig.rl()).muonParams().isEmpty());
    }

    @Test
    void clipsToTheGlobalNormAndReportsThePreClipNorm() {
        Param a = new Param("a", Param.Kind.VECTOR, 1);
        Param b = new Param("b", Param.Kind.VECTOR, 1);
        a.grad()[0] = 3;
        b.grad()[0] = 4;
        assertEquals(5.0, GradientClipping.clip(List.of(a, b), 1.0));
        assertEquals(3 / (5 + 1e-6), a.grad()[0], 1e-16);
        assertEquals(4 / (5 + 1e-6), b.grad()[0], 1e-16);
        // Under the limit nothing changes.
        assertEquals(3 / (5 + 1e-6), GradientClipping.clip(List.of(a), 2.0), 1e-16);
        assertEquals(3 / (5 + 1e-6), a.grad()[0], 1e-16);
    }

    @Test
    void nonFiniteGradientSkipsTheStepAndSaysWhere() {
        List<Param> params = model();
        randomGrads(params, new SplittableRandom(1));
        Optimizer opt = new Optimizer(params, OptimizerConfig.pretraining(LrSchedule.constant(1e-2)));
        double[] before = params.get(1).value().clone();
        params.get(6).grad()[2] = Double.NaN;
        StepReport report = opt.step();
        assertTrue(report.skipped());
        assertEquals("model.norm.weight", report.nonFiniteParam());
        assertTrue(report.toString().contains("skipped"), report.toString());
        assertEquals(0, opt.stepsTaken());
        assertArrayEquals(before, params.get(1).value());

        params.get(6).grad()[2] = Double.POSITIVE_INFINITY;
        assertTrue(opt.step().skipped());
        params.get(6).grad()[2] = 0;
        StepReport ok = opt.step();
        assertFalse(ok.skipped());
        assertEquals(1, ok.step());
        assertTrue(ok.gradNorm() > 1, "pre-clip norm " + ok.gradNorm());
    }

    @Test
    void stateRoundTripsExactlyForResume() throws IOException {
        OptimizerConfig config = OptimizerConfig.pretraining(new LrSchedule(1e-2, 1e-3, 2, 10));
        List<Param> original = model();
        Optimizer opt = new Optimizer(original, config);
        SplittableRandom data = new SplittableRandom(5);
        for (int s = 0; s < 3; s++) {
            randomGrads(original, data);
            opt.step();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        opt.writeState(new DataOutputStream(bytes));

        List<Param> resumed = model();
        for (int i = 0; i < original.size(); i++) {
            System.arraycopy(original.get(i).value(), 0, resumed.get(i).value(), 0, original.get(i).size());
        }
        Optimizer again = new Optimizer(resumed, config);
        again.readState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), "memory");
        assertEquals(3, again.stepsTaken());

        SplittableRandom d1 = new SplittableRandom(9);
        SplittableRandom d2 = new SplittableRandom(9);
        for (int s = 0; s < 2; s++) {
            randomGrads(original, d1);
            randomGrads(resumed, d2);
            assertEquals(opt.step().lr(), again.step().lr());
        }
        for (int i = 0; i < original.size(); i++) {
            assertArrayEquals(original.get(i).value(), resumed.get(i).value(), original.get(i).name());
        }
    }

    @Test
    void restoringIntoADifferentModelFailsClearly() throws IOException {
        Optimizer opt = new Optimizer(model(), OptimizerConfig.pretraining(LrSchedule.constant(1e-3)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        opt.writeState(new DataOutputStream(bytes));
        Optimizer other = new Optimizer(model(), OptimizerConfig.sft(LrSchedule.constant(1e-3)));
        IOException e = assertThrows(IOException.class,
                () -> other.readState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), "state.bin"));
        assertTrue(e.getMessage().startsWith("state.bin"), e.getMessage());
    }
}
