package dev.processio.io;

/** The worker's stdin was disposed of by its owner ({@link ProcessIO#destroy()}) before the frame was written. */
public final class StdinDisposedException extends StdinWriteException {

    public StdinDisposedException(String pool, String message, boolean reachedWorker) {
        super(pool, message, reachedWorker, null);
    }
}
