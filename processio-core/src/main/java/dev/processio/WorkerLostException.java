package dev.processio;

/**
 * The worker that held the call died or broke before it replied: it crashed or was killed, closed
 * its stdin, stopped reading it, or sent a corrupt frame.
 *
 * <p>{@link #requestWritten()} tells whether the request's bytes had been handed to the worker's
 * stdin. When they had not, the call cannot have run; the pool resends such calls to another worker
 * on its own, so callers only see this exception for calls that may have started to run.
 */
public class WorkerLostException extends BridgeException {

    private final long pid;
    private final Integer exitCode;
    private final Integer signal;
    private final String stderrTail;
    private final boolean requestWritten;

    public WorkerLostException(String pool, String message, long pid, Integer exitCode, Integer signal,
            String stderrTail, boolean requestWritten, Throwable cause) {
        super(pool, message, cause);
        this.pid = pid;
        this.exitCode = exitCode;
        this.signal = signal;
        this.stderrTail = stderrTail == null ? "" : stderrTail;
        this.requestWritten = requestWritten;
    }

    /** The pid of the lost worker process. */
    public long pid() {
        return pid;
    }

    /** The exit code, when the process exited by itself; {@code null} when killed by a signal or not known. */
    public Integer exitCode() {
        return exitCode;
    }

    /** The signal that ended the process, or {@code null}. */
    public Integer signal() {
        return signal;
    }

    /** The last lines the worker wrote to stderr (at most about 8 KiB), possibly empty. */
    public String stderrTail() {
        return stderrTail;
    }

    /** Whether the request had been written to the worker's stdin, so that it may have run. */
    public boolean requestWritten() {
        return requestWritten;
    }
}
