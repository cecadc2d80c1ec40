package dev.processio.io;

/**
 * A write to a worker's stdin stayed blocked longer than the write timeout: the worker stopped
 * reading. Its owner kills the worker; every frame still queued fails with this exception.
 */
public final class StdinStalledException extends StdinWriteException {

    public StdinStalledException(String pool, String message, boolean reachedWorker, Throwable cause) {
        super(pool, message, reachedWorker, cause);
    }
}
