package dev.conclave.model;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.checkpoint.SafetensorsWriter;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.DType;
import dev.conclave.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A checkpoint whose greedy output is a given chain of distinct token ids, and whose MTP layer drafts the
 * chain too except right after chosen chain positions, where it drafts a wrong token: a real model for
 * tests that need a known output and drafts rejected at known places.
 *
 * <p>Each layer's {@code o_proj} and {@code down_proj} (routed and shared experts) are zero, so attention
 * and MoE add nothing and the residual stream is the current token's embedding. Chain token i embeds as
 * {@code sqrt(H)·e_i}; {@code lm_head} row {@code chain[i+1]} is {@code 4·e_i}, so the argmax after
 * {@code chain[i]} is {@code chain[i+1]}. The MTP layer reads only the next token ({@code eh_proj = [I | 0]})
 * and its head is the lm_head with the rows moved for the wrong positions.
 */
public final class ScriptedCheckpoint {

    private static final int HIDDEN = 64;
    /** Head entries of 4 give the scripted token a logit of 4·sqrt(64) = 32 over 0: sampling at temperature 1 follows it too. */
    private static final float SHARPNESS = 4;

    private ScriptedCheckpoint() {
    }

    /**
     * Writes the model into {@code parent}/model (and its random start into {@code parent}/random).
     * {@code wrongAfter} holds chain positions i whose draft for position i+1 is {@code wrong} instead.
     */
    public static Path write(Path parent, int vocab, int[] chain, Set<Integer> wrongAfter, int wrong) throws IOException {
        if (chain.length > HIDDEN) {
            throw new IllegalArgumentException("a chain of " + chain.length + " tokens needs more than " + HIDDEN + " dims");
        }
        if (Arrays.stream(chain).distinct().count() != chain.length || Arrays.stream(chain).anyMatch(t -> t == wrong)) {
            throw new IllegalArgumentException("chain tokens must be distinct and differ from the wrong draft");
        }
        ModelConfig c = new ModelConfig("glm4_moe", vocab, HIDDEN, 1, 4, 2, 8, 64, 8, 4, 1, 2, 1, 1, 0,
                true, 2.5, 10_000, 0.5, true, true, 1e-5, 512, false, 1, 0, List.of(chain[chain.length - 1]), "float32");
        Path random = parent.resolve("random");
        Path dir = parent.resolve("model");
        RandomCheckpoint.write(c, new RandomCheckpoint.Options(DType.F32, 5, true, 0), random, f -> { });
        Files.createDirectories(dir);
        Files.copy(random.resolve(Checkpoint.CONFIG_FILE), dir.resolve(Checkpoint.CONFIG_FILE));

        float root = (float) Math.sqrt(HIDDEN);
        float[] embedding = new float[vocab * HIDDEN];
        float[] head = new float[vocab * HIDDEN];
        float[] mtpHead = new float[vocab * HIDDEN];
        for (int i = 0; i < chain.length; i++) {
            embedding[chain[i] * HIDDEN + i] = root;
            if (i + 1 < chain.length) {
                head[chain[i + 1] * HIDDEN + i] = SHARPNESS;
                mtpHead[(wrongAfter.contains(i) ? wrong : chain[i + 1]) * HIDDEN + i] = SHARPNESS;
            }
        }
        String mtp = "model.layers.1.";
        try (Checkpoint source = Checkpoint.open(random)) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (String name : source.names().stream().sorted().toList()) {
                entries.add(new SafetensorsWriter.Entry(name, DType.F32, source.tensor(name).shape()));
            }
            try (SafetensorsWriter out = SafetensorsWriter.create(dir.resolve(Checkpoint.SINGLE_FILE), entries)) {
                for (SafetensorsWriter.Entry e : entries) {
                    String name = e.name();
                    Tensor t = source.tensor(name);
                    float[] values;
                    if (name.endsWith("embed_tokens.weight")) {
                        values = embedding;
                    } else if (name.equals("lm_head.weight")) {
                        values = head;
                    } else if (name.equals(mtp + "shared_head.head.weight")) {
                        values = mtpHead;
                    } else if (name.equals(mtp + "eh_proj.weight")) {
                        values = new float[HIDDEN * 2 * HIDDEN];
                        for (int i = 0; i < HIDDEN; i++) {
                            values[i * 2 * HIDDEN + i] = 1;
                        }
                    } else if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
                        values = new float[(int) t.numel()];
                    } else if (name.endsWith("norm.weight")) {
                        values = new float[(int) t.numel()];
                        Arrays.fill(values, 1);
                    } else {
                        values = t.toFloatArray();
                    }
                    out.write(name, SelfDraftingCheckpoint.source(values));
                }
            }
        }
        return dir;
    }
}
