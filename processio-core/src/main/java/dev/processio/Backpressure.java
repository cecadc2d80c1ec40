package dev.processio;

/** What a call does when a worker's stdin queue is full. */
public enum Backpressure {
    /** Wait for room, up to the enqueue timeout, then fail with {@link BridgeRejectedException}. */
    BLOCK,
    /** Fail at once with {@link BridgeRejectedException}. */
    FAIL
}
