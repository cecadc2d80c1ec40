package dev.processio;

/**
 * The wire protocol was broken: a worker sent a corrupt or oversized frame, or a request could
 * not be encoded within the frame limit.
 */
public class BridgeProtocolException extends BridgeException {

    public BridgeProtocolException(String pool, String message) {
        super(pool, message);
    }

    public BridgeProtocolException(String pool, String message, Throwable cause) {
        super(pool, message, cause);
    }
}
