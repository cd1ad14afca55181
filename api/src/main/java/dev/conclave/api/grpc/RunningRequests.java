package dev.conclave.api.grpc;

import dev.conclave.api.generation.Generation;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The generations in flight by request id, so that Abort, arriving on any connection, can reach them. */
final class RunningRequests {
    private final Map<String, Generation> running = new ConcurrentHashMap<>();

    String add(String prefix, Generation generation) {
        String id = prefix + UUID.randomUUID().toString().replace("-", "");
        running.put(id, generation);
        return id;
    }

    /** Called when a generation ends; false when Abort got there first, so it reports "abort". */
    boolean finish(String id) {
        return running.remove(id) != null;
    }

    /** Whether a running request had this id; it is cancelled, and its stream ends with "abort". */
    boolean abort(String id) {
        Generation generation = running.remove(id);
        if (generation == null) {
            return false;
        }
        generation.cancel();
        return true;
    }
}
