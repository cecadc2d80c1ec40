package dev.processio.io;

/**
 * What the host knows of the call that a tagged stderr line names: its method, and the
 * traceparent it was sent with. {@link StderrLog} asks once per tagged line, on the stderr
 * thread; implementations must be thread-safe and must not block.
 */
@FunctionalInterface
public interface CallLookup {

    /** Knows no call: tagged lines are logged with their call id only. */
    CallLookup NONE = id -> null;

    /** The call with this id, or {@code null} when the host does not know it (any more). */
    Call find(long id);

    /**
     * A call as its stderr lines are logged with it.
     *
     * @param id the call's request id
     * @param method its method, or {@code null}
     * @param traceparent the W3C {@code traceparent} the host sent with it, or {@code null}
     */
    record Call(long id, String method, String traceparent) {
    }
}
