package dev.processio;

import java.time.Duration;
import java.util.Map;

/**
 * One worker at one moment. Immutable.
 *
 * @param slot slot number, from 1
 * @param pid process id, or -1 when no process runs in the slot
 * @param state where the worker is in its life
 * @param uptime time since the process started
 * @param callsServed calls this process has answered
 * @param inFlight calls it holds now
 * @param stdinQueueFrames frames waiting to be written to its stdin
 * @param stdinQueueBytes bytes waiting to be written to its stdin
 * @param drainWaits writes that waited for its stdin pipe to drain, over the slot's life
 * @param drainTime time spent in those waits, over the slot's life
 * @param epipeCount broken-pipe errors, over the slot's life
 * @param restarts replacements of this slot's worker by cause, over the pool's life
 * @param breakerState the state of the slot's circuit breaker ({@code CLOSED}, {@code OPEN}, ...)
 * @param lastError the last fault seen in this slot, or {@code null}
 * @param stderrTail the last lines the process wrote to stderr
 * @param server what the worker said about itself when it started, or {@code null} (not started
 *        yet, no process, or a {@code json-rpc} worker, which says nothing)
 */
public record WorkerSnapshot(int slot, long pid, WorkerState state, Duration uptime, long callsServed, int inFlight,
        int stdinQueueFrames, long stdinQueueBytes, long drainWaits, Duration drainTime, long epipeCount,
        Map<RestartCause, Long> restarts, String breakerState, String lastError, String stderrTail,
        ServerInfo server) {

    /** Restarts of every cause together. */
    public long totalRestarts() {
        return restarts.values().stream().mapToLong(Long::longValue).sum();
    }
}
