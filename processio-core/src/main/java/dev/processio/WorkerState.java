package dev.processio;

/** Where a worker is in its life. */
public enum WorkerState {
    /** Started, not yet ready. */
    STARTING,
    /** Taking calls. */
    READY,
    /** Being recycled or retired: takes no new calls, finishes the ones it holds, then stops. */
    DRAINING,
    /** Its slot's circuit breaker is open: the process has been killed and a replacement waits for its turn. */
    QUARANTINED,
    /** Gone, or the pool is closed. */
    STOPPED
}
