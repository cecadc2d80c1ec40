package dev.processio.autoconfigure;

/** A pool's {@code processio.*} properties contradict each other or hold impossible values. */
public class InvalidProcessioPropertiesException extends RuntimeException {

    private final String pool;

    public InvalidProcessioPropertiesException(String pool, String message, Throwable cause) {
        super(message, cause);
        this.pool = pool;
    }

    /** The pool whose properties are wrong. */
    public String pool() {
        return pool;
    }
}
