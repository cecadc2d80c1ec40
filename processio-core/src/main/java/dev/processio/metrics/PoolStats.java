package dev.processio.metrics;

import dev.processio.WorkerState;

/**
 * Live figures of one pool, read by gauges and function counters. Every method is cheap and
 * thread-safe. Per-worker figures are kept per slot, so that a replaced worker's counts carry on
 * in its slot and tag cardinality stays bounded by the maximum pool size.
 */
public interface PoolStats {

    String pool();

    /** Slot numbers run from 1 to this. */
    int maxWorkers();

    int pendingCalls();

    int activeCalls();

    int workers(WorkerState state);

    int stdinQueueFrames(int slot);

    long stdinQueueBytes(int slot);

    /** Cumulative over the slot's life. */
    long drainWaits(int slot);

    /** Cumulative over the slot's life, in nanoseconds. */
    long drainNanos(int slot);

    /** Cumulative over the slot's life. */
    long epipeCount(int slot);
}
