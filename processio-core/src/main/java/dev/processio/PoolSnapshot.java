package dev.processio;

import java.util.List;
import java.util.Map;

/**
 * A pool at one moment. Immutable.
 *
 * @param pool pool name
 * @param workers one entry per live or quarantined worker; a slot being recycled shows its old
 *        (DRAINING) and new worker both
 * @param pendingCalls calls waiting for a worker
 * @param activeCalls calls held by workers
 * @param callsServed calls answered by workers, over the pool's life
 * @param lateReplies replies that came after their call had ended
 * @param protocolErrors stray lines and corrupt frames, over the pool's life
 * @param restarts worker replacements by cause, over the pool's life
 * @param workersByState how many workers are in each state
 * @param devWatch what the watch of {@code processio.dev.watch} has seen, or {@code null} when the
 *        pool does not watch its module
 */
public record PoolSnapshot(String pool, List<WorkerSnapshot> workers, int pendingCalls, int activeCalls,
        long callsServed, long lateReplies, long protocolErrors, Map<RestartCause, Long> restarts,
        Map<WorkerState, Integer> workersByState, DevWatchSnapshot devWatch) {

    /** A pool that does not watch its module. */
    public PoolSnapshot(String pool, List<WorkerSnapshot> workers, int pendingCalls, int activeCalls,
            long callsServed, long lateReplies, long protocolErrors, Map<RestartCause, Long> restarts,
            Map<WorkerState, Integer> workersByState) {
        this(pool, workers, pendingCalls, activeCalls, callsServed, lateReplies, protocolErrors, restarts,
                workersByState, null);
    }

    /** Workers that take calls now. */
    public int readyWorkers() {
        return workersByState.getOrDefault(WorkerState.READY, 0);
    }
}
