package dev.processio;

/** No healthy worker could take the call: every slot is quarantined or still starting. */
public class BridgeUnavailableException extends BridgeException {

    public BridgeUnavailableException(String pool, String message, Throwable cause) {
        super(pool, message, cause);
    }
}
