package dev.processio.autoconfigure.health;

import dev.processio.NodeBridge;
import dev.processio.PoolSnapshot;
import dev.processio.WorkerSnapshot;
import dev.processio.WorkerState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The health of one pool: UP when at least one worker is READY; DOWN when none is ready and none
 * is starting; OUT_OF_SERVICE while workers are only starting. Details: workers by state, pending
 * calls, and the quarantined slots with the reason.
 */
public class ProcessioHealthIndicator extends AbstractHealthIndicator {

    private final NodeBridge bridge;

    public ProcessioHealthIndicator(NodeBridge bridge) {
        super("processio health check failed");
        this.bridge = bridge;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        PoolSnapshot snapshot = bridge.snapshot();
        int ready = snapshot.workersByState().getOrDefault(WorkerState.READY, 0);
        int starting = snapshot.workersByState().getOrDefault(WorkerState.STARTING, 0);
        if (bridge.isClosed()) {
            builder.down();
        } else if (ready > 0) {
            builder.up();
        } else if (starting > 0) {
            builder.outOfService();
        } else {
            builder.down();
        }
        Map<String, Integer> byState = new LinkedHashMap<>();
        snapshot.workersByState().forEach((state, n) -> byState.put(state.name().toLowerCase(Locale.ROOT), n));
        List<Map<String, Object>> quarantined = new ArrayList<>();
        for (WorkerSnapshot w : snapshot.workers()) {
            if (w.state() == WorkerState.QUARANTINED) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("slot", w.slot());
                entry.put("reason", w.lastError() == null ? "" : w.lastError());
                quarantined.add(entry);
            }
        }
        builder.withDetail("pool", snapshot.pool())
                .withDetail("workers", byState)
                .withDetail("pendingCalls", snapshot.pendingCalls())
                .withDetail("quarantined", quarantined);
    }
}
