package dev.processio.metrics;

import dev.processio.RestartCause;

/**
 * What a pool tells about itself. Every method defaults to doing nothing, so an implementation
 * overrides what it records. Methods are called on the calling or processio threads and must be
 * quick and thread-safe. Gauges and counters that can be read on demand come from the
 * {@link PoolStats} given to the {@link Factory}.
 */
public interface MetricsTracker extends AutoCloseable {

    /** Creates the tracker of one pool. */
    @FunctionalInterface
    interface Factory {
        MetricsTracker create(PoolStats stats);
    }

    /** Does nothing. */
    MetricsTracker NONE = new MetricsTracker() {
    };

    /** A call ended, {@code nanos} after it was made. */
    default void callCompleted(CallOutcome outcome, long nanos) {
    }

    /** A worker was replaced. */
    default void workerRestarted(int slot, RestartCause cause) {
    }

    /** A reply came for a call that had already ended. */
    default void lateReply() {
    }

    /** A stray line or a corrupt frame: {@code stray}, {@code invalid_json}, {@code invalid_message}, {@code oversized}. */
    default void protocolError(String kind) {
    }

    /**
     * A worker sent a message of its own rather than a reply: {@code notification} (MCP logging,
     * list-changed, ...) or {@code request} (answered by the host).
     */
    default void workerMessage(String kind) {
    }

    /**
     * Progress values of a call were dropped, oldest first, because {@code count} more arrived than
     * {@code processio.call.max-progress-buffer} lets wait for its listener. On the worker's stdout thread.
     */
    default void progressDropped(int count) {
    }

    /**
     * {@code count} lines of a worker's stderr or stray stdout were not logged, past
     * {@code processio.worker.log-lines-per-second}. On the worker's stderr or stdout thread.
     */
    default void logLinesDropped(int count) {
    }

    /** The pool is closed; unregister what was registered. */
    @Override
    default void close() {
    }
}
