package dev.conclave.api.openai;

import dev.conclave.model.MtpStats;
import dev.conclave.model.serving.EngineStats;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;

/**
 * {@code GET /metrics} in Prometheus' text format: just enough for a load run to see from outside whether
 * the heap stays flat (used heap, and used heap after the latest collection), how many requests the server
 * holds, the decode rate, and MTP acceptance.
 */
final class Metrics {
    private Metrics() {
    }

    static String render(int inFlight, long served, EngineStats engine) {
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
                + "conclave_requests_total " + served + "\n"
                + "# TYPE conclave_decode_tokens_total counter\n"
                + "conclave_decode_tokens_total " + engine.decodeTokens() + "\n"
                + "# TYPE conclave_decode_seconds_total counter\n"
                + "conclave_decode_seconds_total " + engine.decodeNanos() / 1e9 + "\n"
                + (engine.mtp() == null ? "" : mtp(engine.mtp()));
    }

    /** Speculative decoding: per draft position proposed and accepted drafts, and tokens per verification step. */
    private static String mtp(MtpStats s) {
        StringBuilder out = new StringBuilder();
        out.append("# TYPE conclave_mtp_verify_steps_total counter\n")
                .append("conclave_mtp_verify_steps_total ").append(s.steps()).append('\n')
                .append("# TYPE conclave_mtp_emitted_tokens_total counter\n")
                .append("conclave_mtp_emitted_tokens_total ").append(s.tokens()).append('\n')
                .append("# TYPE conclave_mtp_draft_tokens_total counter\n");
        for (int d = 0; d < s.drafts(); d++) {
            out.append("conclave_mtp_draft_tokens_total{position=\"").append(d + 1).append("\"} ")
                    .append(s.proposed(d)).append('\n');
        }
        out.append("# TYPE conclave_mtp_accepted_tokens_total counter\n");
        for (int d = 0; d < s.drafts(); d++) {
            out.append("conclave_mtp_accepted_tokens_total{position=\"").append(d + 1).append("\"} ")
                    .append(s.accepted(d)).append('\n');
        }
        if (s.steps() > 0) {
            out.append("# TYPE conclave_mtp_mean_tokens_per_step gauge\n")
                    .append("conclave_mtp_mean_tokens_per_step ").append(s.meanTokensPerStep()).append('\n');
        }
        return out.toString();
    }
}
