package dev.conclave.training.checkpoint;

import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.tensor.Tensor;
import dev.conclave.training.Param;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Params filled from a checkpoint's tensors, for the save tests (the model module owns real loading). */
final class CheckpointParams {

    private CheckpointParams() {
    }

    static List<Param> of(Checkpoint checkpoint) {
        List<Param> params = new ArrayList<>();
        for (String name : checkpoint.names()) {
            Tensor t = checkpoint.tensor(name);
            int[] shape = Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
            Param p = new Param(name, kind(name, shape), shape);
            for (int i = 0; i < p.size(); i++) {
                p.value()[i] = t.get(i);
            }
            params.add(p);
        }
        return params;
    }

    static Param.Kind kind(String name, int[] shape) {
        if (name.endsWith("embed_tokens.weight")) {
            return Param.Kind.EMBEDDING;
        }
        if (name.equals("lm_head.weight") || name.endsWith("shared_head.head.weight")) {
            return Param.Kind.HEAD;
        }
        return shape.length == 1 ? Param.Kind.VECTOR : Param.Kind.MATRIX;
    }
}
