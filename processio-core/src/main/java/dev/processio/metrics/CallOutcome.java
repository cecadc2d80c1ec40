package dev.processio.metrics;

import java.util.Locale;

/** How a call ended; {@link #tag()} is the value of the metrics tag {@code outcome}. */
public enum CallOutcome {
    SUCCESS,
    REMOTE_ERROR,
    TIMEOUT,
    WORKER_LOST,
    REJECTED,
    UNAVAILABLE,
    DISPOSED,
    PROTOCOL_ERROR,
    /** The caller cancelled it: {@code cancel} on its future, or an interrupted {@code call}. */
    CANCELLED;

    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
