package dev.processio;

/**
 * A worker process could not be started or never became ready. {@link #reason()} says which;
 * the message says what to change.
 */
public class BridgeStartupException extends BridgeException {

    /** Why a worker failed to start. */
    public enum Reason {
        /** The executable was not found. */
        COMMAND_NOT_FOUND,
        /** The executable exists but may not be run (permissions, or not a program). */
        NOT_EXECUTABLE,
        /** The user module was not found (Node runtime). */
        MODULE_NOT_FOUND,
        /** The user module failed to load; the stderr tail has the reason (Node runtime: exit code 3). */
        MODULE_LOAD_FAILED,
        /** The process exited before it announced that it was ready. */
        EXITED_BEFORE_READY,
        /** The process announced a wire protocol version that this library does not speak. */
        PROTOCOL_MISMATCH,
        /**
         * A step of the worker's start-up failed: an init call (processio.worker.init-calls) or a
         * step of the dialect's own start-up (MCP {@code initialize}) answered with an error or
         * with a result processio cannot use. {@link #step()} names it.
         */
        INIT_FAILED,
        /** The process did not announce that it was ready within the start-up timeout. */
        READY_TIMEOUT,
        /** The process was stopped while it was starting. */
        ABORTED,
        /**
         * A limit of {@code processio.worker.limits.*} is set and this system cannot apply it: not
         * Linux, no {@code prlimit} on the PATH, or no readable {@code /proc}. The message names it.
         */
        LIMITS_UNAVAILABLE
    }

    private final Reason reason;
    private final Integer exitCode;
    private final String stderrTail;
    private final String step;

    public BridgeStartupException(String pool, Reason reason, String message, Integer exitCode,
            String stderrTail, Throwable cause) {
        this(pool, reason, message, null, exitCode, stderrTail, cause);
    }

    /**
     * @param step the start-up step that failed, such as {@code init-calls[0] (auth/login)} or
     *        {@code mcp initialize}, or {@code null}
     */
    public BridgeStartupException(String pool, Reason reason, String message, String step, Integer exitCode,
            String stderrTail, Throwable cause) {
        super(pool, message, cause);
        this.reason = reason;
        this.exitCode = exitCode;
        this.stderrTail = stderrTail == null ? "" : stderrTail;
        this.step = step;
    }

    public Reason reason() {
        return reason;
    }

    /** The exit value of the process if it exited (a signal is reported as 128 + signal), else {@code null}. */
    public Integer exitCode() {
        return exitCode;
    }

    /** The start-up step that failed ({@link Reason#INIT_FAILED}, and a timeout during a step), or {@code null}. */
    public String step() {
        return step;
    }

    /** The last lines the process wrote to stderr, possibly empty. */
    public String stderrTail() {
        return stderrTail;
    }
}
