package dev.conclave.cli;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.core.tensor.Tensor;
import java.util.Optional;

/**
 * Weight bytes one decode token reads, from the checkpoint's real dtypes: every main layer's attention,
 * norms, router and shared expert, K routed experts per MoE layer (taking expert 0's size), the dense MLPs,
 * one embedding row and the whole lm_head.
 */
final class ActiveBytes {

    private ActiveBytes() {
    }

    static long perDecodeToken(Checkpoint ckpt) {
        ModelConfig c = ckpt.config();
        long total = bytes(ckpt, "lm_head.weight") + bytes(ckpt, "model.norm.weight")
                + bytes(ckpt, "model.embed_tokens.weight") / c.vocabSize();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            for (String name : ckpt.names()) {
                if (name.startsWith(p) && !name.startsWith(p + "mlp.experts.")) {
                    total += bytes(ckpt, name);
                }
            }
            if (c.isMoeLayer(l)) {
                long expert = 0;
                for (String proj : new String[] {"gate_proj", "up_proj", "down_proj"}) {
                    expert += bytes(ckpt, p + "mlp.experts.0." + proj + ".weight");
                }
                total += expert * c.numExpertsPerTok();
            }
        }
        return total;
    }

    private static long bytes(Checkpoint ckpt, String name) {
        Optional<Tensor> t = ckpt.find(name);
        return t.map(x -> x.data().byteSize()).orElse(0L);
    }
}
