package dev.processio;

import java.util.Locale;

/** Why a worker was replaced. {@link #tag()} is the value of the metrics tag {@code cause}. */
public enum RestartCause {
    /** The process exited or was killed by someone else. */
    CRASH,
    /** Its stdin broke. */
    EPIPE,
    /** It stopped reading its stdin. */
    STALL,
    /** Its calls timed out until its breaker opened. */
    TIMEOUT,
    /** It broke the wire protocol. */
    PROTOCOL,
    /** It missed heartbeats until its breaker opened. */
    HEARTBEAT,
    /** It was recycled: request count, age or memory. */
    RECYCLE,
    /** An operator asked for it. */
    MANUAL,
    /** It failed to start. */
    STARTUP;

    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
