package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Layers as a placement file names them, before a model gives the names a meaning: index ranges,
 * {@code mtp} (the MTP layer, stored at index {@code num_hidden_layers}) and {@code all}. The same file
 * then serves any model, so a placement is resolved against each checkpoint's config when it is used.
 *
 * @param indices the layers named by number
 * @param mtp     whether {@code mtp} is named
 * @param all     {@code all}, which stands alone: every layer for attention, every MoE layer in an
 *                {@link ExpertAssignment}
 */
public record LayerSet(IntSet indices, boolean mtp, boolean all) {

    public static final String ALL = "all";
    public static final String MTP = "mtp";

    public LayerSet {
        if (all && (mtp || !indices.isEmpty())) {
            throw new IllegalArgumentException("'all' stands alone");
        }
    }

    public static LayerSet none() {
        return new LayerSet(IntSet.empty(), false, false);
    }

    public static LayerSet everyLayer() {
        return new LayerSet(IntSet.empty(), false, true);
    }

    /**
     * Reads {@code "all"} or a comma-separated list of layer ids, inclusive ranges and {@code mtp}:
     * {@code "0-3,mtp"}.
     *
     * @throws IllegalArgumentException naming the bad item
     */
    public static LayerSet parse(String text) {
        String spec = text.strip();
        if (spec.equals(ALL)) {
            return everyLayer();
        }
        if (spec.isEmpty()) {
            return none();
        }
        boolean mtp = false;
        List<String> numbered = new ArrayList<>();
        for (String item : spec.split(",", -1)) {
            switch (item.strip()) {
                case MTP -> mtp = true;
                case ALL -> throw new IllegalArgumentException("'all' stands alone, without other layers");
                default -> numbered.add(item);
            }
        }
        return new LayerSet(IntSet.parse(String.join(",", numbered)), mtp, false);
    }

    /**
     * The layer indices named, {@code mtp} as {@code num_hidden_layers}, and {@code all} as every layer of
     * the model including the MTP layer when it has one. Indices the model lacks are kept, for the
     * validator to report.
     */
    public IntSet resolve(ModelConfig model) {
        if (all) {
            return ModelLayers.all(model);
        }
        return mtp ? indices.union(IntSet.of(model.mtpLayerIndex())) : indices;
    }

    /** The text form, which {@link #parse} reads back to an equal set. */
    @Override
    public String toString() {
        if (all) {
            return ALL;
        }
        if (!mtp) {
            return indices.toString();
        }
        return indices.isEmpty() ? MTP : indices + "," + MTP;
    }
}
