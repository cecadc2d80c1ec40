package dev.processio;

/**
 * Backpressure: a bounded queue was full (a worker's stdin queue, or the pool's queue of calls
 * waiting for a worker). Nothing was sent; the call can be retried later.
 */
public class BridgeRejectedException extends BridgeException {

    public BridgeRejectedException(String pool, String message) {
        super(pool, message);
    }
}
