package dev.processio.io;

import dev.processio.BridgeException;

/**
 * A frame accepted by {@link ProcessIO} could not be written to the worker's stdin.
 *
 * <p>{@link #reachedWorker()} is the fact that decides whether the frame may be sent elsewhere:
 * {@code false} means no byte of it was handed to the pipe, so the worker cannot have seen it;
 * {@code true} means some or all of it may have been.
 */
public abstract class StdinWriteException extends BridgeException {

    private final boolean reachedWorker;

    StdinWriteException(String pool, String message, boolean reachedWorker, Throwable cause) {
        super(pool, message, cause);
        this.reachedWorker = reachedWorker;
    }

    /** Whether any byte of the frame may have been handed to the worker's stdin pipe. */
    public boolean reachedWorker() {
        return reachedWorker;
    }
}
