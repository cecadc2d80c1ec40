package dev.processio;

/**
 * How a pool talks to its workers beyond the framing, which is the same in every dialect (one
 * JSON-RPC 2.0 message per line): how a worker becomes ready, what its heartbeat is, and how a
 * request the host gave up on is cancelled. Set with {@code processio.worker.dialect}; see
 * docs/protocol.md.
 */
public enum Dialect {

    /**
     * processio's own protocol, spoken by the bundled runtimes: the worker announces itself with
     * {@code processio/ready}; heartbeat {@code processio/ping}; cancel {@code processio/cancel {id}}.
     */
    PROCESSIO("processio"),

    /**
     * Any JSON-RPC 2.0 server over stdio: ready once the process has started and the init calls
     * have answered; no heartbeat unless {@code processio.health-check.method} names one; a cancel
     * notification only when {@code processio.worker.cancel-notification.method} names one.
     */
    JSON_RPC("json-rpc"),

    /**
     * A Model Context Protocol server over stdio: the lifecycle of the protocol version the worker
     * negotiates (the stateless revision's {@code server/discover}, or {@code initialize} and
     * {@code notifications/initialized}); heartbeat {@code ping}, or {@code server/discover} in the
     * stateless revision, which has no ping; cancel {@code notifications/cancelled {requestId, reason}}.
     */
    MCP("mcp");

    private final String key;

    Dialect(String key) {
        this.key = key;
    }

    /** The name of this dialect as the property {@code processio.worker.dialect} spells it. */
    public String key() {
        return key;
    }
}
