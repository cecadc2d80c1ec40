package dev.processio.io;

/**
 * Writing to a worker's stdin failed because the worker closed it or died (EPIPE, or another I/O
 * error on the pipe). Every frame still queued fails with this exception too.
 */
public final class BrokenPipeException extends StdinWriteException {

    public BrokenPipeException(String pool, String message, boolean reachedWorker, Throwable cause) {
        super(pool, message, reachedWorker, cause);
    }
}
