package dev.processio.metrics;

import dev.processio.RestartCause;
import dev.processio.WorkerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Publishes a pool's figures to a Micrometer {@link MeterRegistry}. Every meter has the tag
 * {@code pool}; per-worker meters have {@code worker}, the slot number, so their number is
 * bounded by {@code max-workers}. Meters are registered when the pool starts and removed when it
 * closes. Thread-safe.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>extra tags</th></tr>
 * <tr><td>processio.calls</td><td>timer</td><td>outcome</td></tr>
 * <tr><td>processio.calls.pending</td><td>gauge</td><td></td></tr>
 * <tr><td>processio.calls.active</td><td>gauge</td><td></td></tr>
 * <tr><td>processio.stdin.queue.depth</td><td>gauge, frames</td><td>worker</td></tr>
 * <tr><td>processio.stdin.queue.bytes</td><td>gauge</td><td>worker</td></tr>
 * <tr><td>processio.stdin.drain.waits</td><td>counter</td><td>worker</td></tr>
 * <tr><td>processio.stdin.drain.time</td><td>timer</td><td>worker</td></tr>
 * <tr><td>processio.stdin.epipe</td><td>counter</td><td>worker</td></tr>
 * <tr><td>processio.workers</td><td>gauge</td><td>state</td></tr>
 * <tr><td>processio.worker.restarts</td><td>counter</td><td>cause</td></tr>
 * <tr><td>processio.replies.late</td><td>counter</td><td></td></tr>
 * <tr><td>processio.protocol.errors</td><td>counter</td><td>kind</td></tr>
 * <tr><td>processio.progress.dropped</td><td>counter</td><td></td></tr>
 * <tr><td>processio.worker.log.dropped</td><td>counter</td><td></td></tr>
 * </table>
 */
public final class MicrometerMetricsTracker implements MetricsTracker {

    private static final List<String> WORKER_MESSAGE_KINDS = List.of("notification", "request");

    private static final List<String> PROTOCOL_ERROR_KINDS = List.of("stray", "invalid_json", "invalid_message",
            "oversized");

    private final MeterRegistry registry;
    private final Tags tags;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<CallOutcome, Timer> calls = new EnumMap<>(CallOutcome.class);
    private final Map<RestartCause, Counter> restarts = new EnumMap<>(RestartCause.class);
    private final Map<String, Counter> protocolErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> workerMessages = new java.util.HashMap<>();
    private final Counter lateReplies;
    private final Counter progressDropped;
    private final Counter logLinesDropped;

    private MicrometerMetricsTracker(MeterRegistry registry, PoolStats stats) {
        this.registry = registry;
        this.tags = Tags.of("pool", stats.pool());
        for (CallOutcome outcome : CallOutcome.values()) {
            calls.put(outcome, add(Timer.builder("processio.calls").description("Calls, by how they ended")
                    .tags(tags).tag("outcome", outcome.tag()).register(registry)));
        }
        add(Gauge.builder("processio.calls.pending", stats, PoolStats::pendingCalls)
                .description("Calls waiting for a worker").tags(tags).strongReference(true).register(registry));
        add(Gauge.builder("processio.calls.active", stats, PoolStats::activeCalls)
                .description("Calls held by workers").tags(tags).strongReference(true).register(registry));
        for (WorkerState state : WorkerState.values()) {
            add(Gauge.builder("processio.workers", stats, s -> s.workers(state)).description("Workers, by state")
                    .tags(tags).tag("state", state.name().toLowerCase(java.util.Locale.ROOT)).strongReference(true)
                    .register(registry));
        }
        for (int slot = 1; slot <= stats.maxWorkers(); slot++) {
            int n = slot;
            Tags worker = tags.and("worker", Integer.toString(slot));
            add(Gauge.builder("processio.stdin.queue.depth", stats, s -> s.stdinQueueFrames(n))
                    .description("Frames waiting to be written to the worker's stdin").baseUnit("frames")
                    .tags(worker).strongReference(true).register(registry));
            add(Gauge.builder("processio.stdin.queue.bytes", stats, s -> s.stdinQueueBytes(n))
                    .description("Bytes waiting to be written to the worker's stdin").baseUnit("bytes")
                    .tags(worker).strongReference(true).register(registry));
            add(FunctionCounter.builder("processio.stdin.drain.waits", stats, s -> s.drainWaits(n))
                    .description("Writes that waited for the worker to drain its stdin pipe").tags(worker)
                    .register(registry));
            add(FunctionTimer.builder("processio.stdin.drain.time", stats, s -> s.drainWaits(n),
                    s -> s.drainNanos(n), TimeUnit.NANOSECONDS)
                    .description("Time spent waiting for the worker to drain its stdin pipe").tags(worker)
                    .register(registry));
            add(FunctionCounter.builder("processio.stdin.epipe", stats, s -> s.epipeCount(n))
                    .description("Writes that failed because the worker closed its stdin or died").tags(worker)
                    .register(registry));
        }
        for (RestartCause cause : RestartCause.values()) {
            restarts.put(cause, add(Counter.builder("processio.worker.restarts").description("Worker replacements")
                    .tags(tags).tag("cause", cause.tag()).register(registry)));
        }
        lateReplies = add(Counter.builder("processio.replies.late")
                .description("Replies that came after their call had ended").tags(tags).register(registry));
        progressDropped = add(Counter.builder("processio.progress.dropped")
                .description("Progress values dropped because more waited for their listener than"
                        + " processio.call.max-progress-buffer allows").tags(tags).register(registry));
        logLinesDropped = add(Counter.builder("processio.worker.log.dropped")
                .description("Lines of the workers' stderr and stray stdout not logged, past"
                        + " processio.worker.log-lines-per-second").tags(tags).register(registry));
        for (String kind : PROTOCOL_ERROR_KINDS) {
            protocolErrors.put(kind, protocolErrorCounter(kind));
        }
        for (String kind : WORKER_MESSAGE_KINDS) {
            workerMessages.put(kind, add(Counter.builder("processio.worker.messages")
                    .description("Notifications and requests that workers sent of their own accord").tags(tags)
                    .tag("kind", kind).register(registry)));
        }
    }

    /** A factory for {@link dev.processio.NodeBridgeOptions.Builder#metricsTrackerFactory}. */
    public static MetricsTracker.Factory factory(MeterRegistry registry) {
        return stats -> new MicrometerMetricsTracker(registry, stats);
    }

    private <M extends Meter> M add(M meter) {
        synchronized (meters) {
            meters.add(meter);
        }
        return meter;
    }

    private Counter protocolErrorCounter(String kind) {
        return add(Counter.builder("processio.protocol.errors")
                .description("Stray stdout lines and corrupt frames from workers").tags(tags).tag("kind", kind)
                .register(registry));
    }

    @Override
    public void callCompleted(CallOutcome outcome, long nanos) {
        calls.get(outcome).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void workerRestarted(int slot, RestartCause cause) {
        restarts.get(cause).increment();
    }

    @Override
    public void lateReply() {
        lateReplies.increment();
    }

    @Override
    public void protocolError(String kind) {
        protocolErrors.computeIfAbsent(kind, this::protocolErrorCounter).increment();
    }

    @Override
    public void workerMessage(String kind) {
        Counter counter = workerMessages.get(kind);
        if (counter != null) {
            counter.increment();
        }
    }

    @Override
    public void progressDropped(int count) {
        progressDropped.increment(count);
    }

    @Override
    public void logLinesDropped(int count) {
        logLinesDropped.increment(count);
    }

    @Override
    public void close() {
        synchronized (meters) {
            for (Meter meter : meters) {
                registry.remove(meter);
            }
            meters.clear();
        }
    }
}
