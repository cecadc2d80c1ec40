package dev.processio;

/** A call, or the wait for a worker to take it, did not finish in time. */
public class BridgeTimeoutException extends BridgeException {

    public BridgeTimeoutException(String pool, String message) {
        super(pool, message);
    }
}
