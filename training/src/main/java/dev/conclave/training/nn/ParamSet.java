package dev.conclave.training.nn;

import dev.conclave.training.Param;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parameters of a model in creation order, each under its unique Hugging Face tensor name. */
public final class ParamSet {

    private final Map<String, Param> byName = new LinkedHashMap<>();

    public Param create(String name, Param.Kind kind, int... shape) {
        Param p = new Param(name, kind, shape);
        if (byName.putIfAbsent(name, p) != null) {
            throw new IllegalArgumentException("parameter " + name + " created twice");
        }
        return p;
    }

    public List<Param> all() {
        return Collections.unmodifiableList(new ArrayList<>(byName.values()));
    }

    public Param get(String name) {
        Param p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return p;
    }
}
