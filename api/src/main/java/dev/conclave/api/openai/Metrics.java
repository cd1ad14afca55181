package dev.conclave.api.openai;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;

/**
 * {@code GET /metrics} in Prometheus' text format: just enough for a load run to see from outside whether
 * the heap stays flat (used heap, and used heap after the latest collection) and how many requests the
 * server holds.
 */
final class Metrics {
    private Metrics() {
    }

    static String render(int inFlight, long served) {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return "# TYPE conclave_heap_used_bytes gauge\n"
                + "conclave_heap_used_bytes " + heap.getUsed() + "\n"
                + "# HELP conclave_heap_used_after_gc_bytes Heap used right after the latest collection; -1 before the first.\n"
                + "# TYPE conclave_heap_used_after_gc_bytes gauge\n"
                + "conclave_heap_used_after_gc_bytes " + HeapAfterGc.used() + "\n"
                + "# TYPE conclave_gc_collections_total counter\n"
                + "conclave_gc_collections_total " + HeapAfterGc.collections() + "\n"
                + "# TYPE conclave_heap_committed_bytes gauge\n"
                + "conclave_heap_committed_bytes " + heap.getCommitted() + "\n"
                + "# TYPE conclave_requests_in_flight gauge\n"
                + "conclave_requests_in_flight " + inFlight + "\n"
                + "# TYPE conclave_requests_total counter\n"
                + "conclave_requests_total " + served + "\n";
    }
}
