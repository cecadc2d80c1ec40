package dev.processio.pool;

/**
 * The W3C trace context of a call, as its observation's tracing propagated it: sent to the worker
 * with the request (docs/protocol.md, "Trace context").
 *
 * @param traceparent {@code 00-<trace id>-<span id>-<flags>}
 * @param tracestate vendor state, or {@code null}
 */
record TraceContext(String traceparent, String tracestate) {
}
