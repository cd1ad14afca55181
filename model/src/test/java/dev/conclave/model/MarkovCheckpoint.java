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
 * Real checkpoints whose next-token logits depend only on the current token, given as tables: the main
 * model's and, separately, the MTP layer's draft. Tests then know the exact output distribution and where
 * drafts go wrong.
 *
 * <p>Each layer's {@code o_proj} and {@code down_proj} (routed and shared experts) are zero, so attention
 * and MoE add nothing and the residual stream is the current token's embedding. A token with slot s embeds
 * as {@code sqrt(H)·e_s} (all norms are 1, so it stays so), and {@code lm_head[v, s] = target[s][v] / sqrt(H)}
 * makes the logits after it {@code target[s]}. The MTP layer reads only the next token
 * ({@code eh_proj = [I | 0]}), so its draft logits after input token with slot s are {@code draft[s]}.
 */
public final class MarkovCheckpoint {

    private static final int HIDDEN = 64;

    private MarkovCheckpoint() {
    }

    /**
     * Writes the model into {@code parent}/model (and its random start into {@code parent}/random):
     * {@code slot[t]} is token t's row of the tables (-1: a token that embeds as zero, all logits 0 after it).
     */
    public static Path write(Path parent, int vocab, int[] slot, float[][] target, float[][] draft, int eos)
            throws IOException {
        if (target.length > HIDDEN || draft.length != target.length) {
            throw new IllegalArgumentException("at most " + HIDDEN + " slots, the same number in both tables");
        }
        ModelConfig c = new ModelConfig("glm4_moe", vocab, HIDDEN, 1, 4, 2, 8, 64, 8, 4, 1, 2, 1, 1, 0,
                true, 2.5, 10_000, 0.5, true, true, 1e-5, 512, false, 1, 0, List.of(eos), "float32");
        Path random = parent.resolve("random");
        Path dir = parent.resolve("model");
        RandomCheckpoint.write(c, new RandomCheckpoint.Options(DType.F32, 5, true, 0), random, f -> { });
        Files.createDirectories(dir);
        Files.copy(random.resolve(Checkpoint.CONFIG_FILE), dir.resolve(Checkpoint.CONFIG_FILE));

        float root = (float) Math.sqrt(HIDDEN);
        float[] embedding = new float[vocab * HIDDEN];
        for (int t = 0; t < vocab; t++) {
            if (slot[t] >= 0) {
                embedding[t * HIDDEN + slot[t]] = root;
            }
        }
        float[] head = new float[vocab * HIDDEN];
        float[] mtpHead = new float[vocab * HIDDEN];
        for (int s = 0; s < target.length; s++) {
            for (int v = 0; v < vocab; v++) {
                head[v * HIDDEN + s] = target[s][v] / root;
                mtpHead[v * HIDDEN + s] = draft[s][v] / root;
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

    /** Logit of the scripted token over 0 for every other: sampling at temperature 1 follows the script too. */
    private static final float SCRIPTED_LOGIT = 32;

    /**
     * A model whose greedy output after {@code chain[0]} is the rest of {@code chain} (distinct ids, the last
     * also its eos), and whose MTP layer drafts the chain except after the positions in {@code wrongAfter},
     * where it drafts {@code wrong}.
     */
    public static Path scripted(Path parent, int vocab, int[] chain, Set<Integer> wrongAfter, int wrong) throws IOException {
        if (Arrays.stream(chain).distinct().count() != chain.length || Arrays.stream(chain).anyMatch(t -> t == wrong)) {
            throw new IllegalArgumentException("chain tokens must be distinct and differ from the wrong draft");
        }
        int[] slot = new int[vocab];
        Arrays.fill(slot, -1);
        float[][] target = new float[chain.length][vocab];
        float[][] draft = new float[chain.length][vocab];
        for (int i = 0; i < chain.length; i++) {
            slot[chain[i]] = i;
            if (i + 1 < chain.length) {
                target[i][chain[i + 1]] = SCRIPTED_LOGIT;
                draft[i][wrongAfter.contains(i) ? wrong : chain[i + 1]] = SCRIPTED_LOGIT;
            }
        }
        return write(parent, vocab, slot, target, draft, chain[chain.length - 1]);
    }
}
