package dev.processio.pool;

import dev.processio.BridgeException;
import dev.processio.metrics.CallOutcome;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;
import java.util.HashMap;
import java.util.Map;

/**
 * Each call as a Micrometer {@link Observation} named {@value #NAME}, when the options give an
 * {@link ObservationRegistry}. Low-cardinality keys: {@code pool}, {@code method}, {@code dialect},
 * {@code outcome}; high-cardinality: {@code call.id} and {@code worker.pid}.
 *
 * <p>The observation is started on the caller's thread, so that the caller's current observation
 * (an HTTP request's, say) is its parent, with a {@link SenderContext} whose carrier is a map: with
 * Micrometer Tracing on the classpath, its propagating handler writes {@code traceparent} and
 * {@code tracestate} into that map, and they travel to the worker with the request. Without
 * tracing the map stays empty and nothing is sent.
 *
 * <p>Only loaded when a registry is given: Micrometer is an optional dependency of processio-core.
 * Thread-safe.
 */
final class CallObservations {

    static final String NAME = "processio.call";

    private final ObservationRegistry registry;
    private final String pool;
    private final String dialect;

    CallObservations(ObservationRegistry registry, String pool, String dialect) {
        this.registry = registry;
        this.pool = pool;
        this.dialect = dialect;
    }

    /** Starts the observation of call {@code id}; its trace context, if tracing gave one, is in the handle. */
    Handle start(String method, long id) {
        SenderContext<Map<String, String>> context = new SenderContext<>((carrier, key, value) -> {
            if (carrier != null && key != null && value != null) {
                carrier.put(key, value);
            }
        }, Kind.CLIENT);
        Map<String, String> carrier = new HashMap<>(4);
        context.setCarrier(carrier);
        context.setRemoteServiceName("processio-" + pool);
        Observation observation = Observation.createNotStarted(NAME, () -> context, registry)
                .contextualName("processio " + method)
                .lowCardinalityKeyValue("pool", pool)
                .lowCardinalityKeyValue("method", method)
                .lowCardinalityKeyValue("dialect", dialect)
                .highCardinalityKeyValue("call.id", Long.toString(id))
                .start();
        String traceparent = carrier.get("traceparent");
        TraceContext trace = traceparent == null ? null : new TraceContext(traceparent, carrier.get("tracestate"));
        return new Handle(observation, trace);
    }

    /** One call's observation; stopped once, by the thread that ends the call. */
    static final class Handle {

        private final Observation observation;
        final TraceContext trace;

        private Handle(Observation observation, TraceContext trace) {
            this.observation = observation;
            this.trace = trace;
        }

        /** Stops it with the call's outcome; {@code workerPid} 0 when no worker held the call. */
        void stop(CallOutcome outcome, Throwable error, long workerPid) {
            observation.lowCardinalityKeyValue("outcome", outcome.tag());
            if (workerPid > 0) {
                observation.highCardinalityKeyValue("worker.pid", Long.toString(workerPid));
            }
            if (error != null && !(outcome == CallOutcome.CANCELLED)) {
                observation.error(error instanceof BridgeException ? error : new IllegalStateException(error));
            }
            observation.stop();
        }
    }
}
