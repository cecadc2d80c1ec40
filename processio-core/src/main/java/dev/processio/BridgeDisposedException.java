package dev.processio;

/** The bridge, or the part of it that held the call, has been closed. */
public class BridgeDisposedException extends BridgeException {

    public BridgeDisposedException(String pool, String message) {
        super(pool, message);
    }
}
