package dev.conclave.placement;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a node does; a node may have several roles. */
public enum Role {
    /** Owns requests and sequences and runs the step loop: embedding, final norm, head, sampling. */
    ORCHESTRATOR,
    /** Hosts attention stages: a layer's attention, norms, router gate, dense MLP, shared experts, KV cache. */
    ATTENTION,
    /** Hosts routed experts, as (layer, expert) pairs. */
    EXPERTS;

    /** The name placement files use: {@code orchestrator}, {@code attention}, {@code experts}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException naming the known roles
     */
    public static Role fromConfigName(String name) {
        for (Role role : values()) {
            if (role.configName().equals(name)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role '" + name + "'; roles are "
                + Arrays.stream(values()).map(Role::configName).collect(Collectors.joining(", ")));
    }
}
