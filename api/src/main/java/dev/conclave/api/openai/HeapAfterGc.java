package dev.conclave.api.openai;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The heap the live objects take: used heap right after the latest young or full collection, as the collector
 * reports it. Plain used heap also counts garbage not yet collected, so only this shows whether a server's
 * heap stays flat under load.
 */
final class HeapAfterGc {
    private static final AtomicLong USED_AFTER_GC = new AtomicLong(-1);
    private static final AtomicLong COLLECTIONS = new AtomicLong();
    private static boolean watching;

    private HeapAfterGc() {
    }

    /** Subscribes to the collectors' notifications, once per JVM. */
    static synchronized void watch() {
        if (watching) {
            return;
        }
        Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) collector).addNotificationListener((notification, handback) -> {
                if (!notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    return;
                }
                var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                // G1's concurrent-cycle pauses (remark, cleanup) free nothing by themselves: only collections count.
                if (!info.getGcAction().equals("end of minor GC") && !info.getGcAction().equals("end of major GC")) {
                    return;
                }
                long used = 0;
                for (var pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (heapPools.contains(pool.getKey())) {
                        used += pool.getValue().getUsed();
                    }
                }
                USED_AFTER_GC.set(used);
                COLLECTIONS.incrementAndGet();
            }, null, null);
        }
        watching = true;
    }

    /** Bytes used after the latest collection since {@link #watch()}; -1 before the first one. */
    static long used() {
        return USED_AFTER_GC.get();
    }

    /** Collections seen since {@link #watch()}. */
    static long collections() {
        return COLLECTIONS.get();
    }
}
