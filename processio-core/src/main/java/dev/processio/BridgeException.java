package dev.processio;

/**
 * Root of every exception that processio raises. Unchecked: a caller that wants to act on a
 * particular failure catches the subclass it cares about; the rest propagate.
 *
 * <p>Messages start with the pool name and carry what is needed to act on them: the limit that
 * was hit and the option that changes it, or the worker's pid, exit status and stderr tail.
 */
public class BridgeException extends RuntimeException {

    private final String pool;

    public BridgeException(String pool, String message) {
        this(pool, message, null);
    }

    public BridgeException(String pool, String message, Throwable cause) {
        super(pool + ": " + message, cause);
        this.pool = pool;
    }

    /** The name of the pool that raised this exception. */
    public String pool() {
        return pool;
    }
}
