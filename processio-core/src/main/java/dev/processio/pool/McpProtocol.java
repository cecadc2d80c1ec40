package dev.processio.pool;

import dev.processio.BridgeProtocolException;
import dev.processio.Dialect;
import dev.processio.NodeBridgeOptions;
import dev.processio.ServerInfo;
import dev.processio.ServerRequestHandler;
import dev.processio.protocol.RpcCodec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Model Context Protocol over stdio, in both of its lifecycles:
 * <ul>
 *   <li><b>stateless</b> (revision 2026-07-28 and later): no handshake; every request carries the
 *       protocol version and the client's capabilities in {@code params._meta}; {@code server/discover}
 *       describes the server. That revision has no {@code ping}, so {@code server/discover} is also
 *       the heartbeat;</li>
 *   <li><b>initialize</b> (2025-11-25 and earlier): {@code initialize}, whose result names the
 *       version, then {@code notifications/initialized}; heartbeat {@code ping}.</li>
 * </ul>
 * The pool speaks one version, since a call's frame is written once, before a worker is chosen:
 * the pinned one ({@code processio.worker.mcp.protocol-version}), else the one the pool's first
 * worker to start negotiated, which every later worker is then held to, as if pinned. Without
 * either, a worker is first asked {@code server/discover} (the specification's probe for stdio);
 * any answer that does not show a stateless server (such as -32601 from the servers of the
 * TypeScript SDK 1.x), or no answer within half the start-up timeout, falls back to
 * {@code initialize}. A worker that ends up with another version than the pool's fails to start,
 * and its replacement is held to the pool's. Cancel is {@code notifications/cancelled {requestId,
 * reason}} in both.
 *
 * <p>Thread-safe: what it remembers per worker is in a concurrent map, the pool's version in an
 * atomic reference, set once.
 */
final class McpProtocol extends WorkerProtocol {

    /** The stateless revisions processio speaks, newest first. */
    static final List<String> STATELESS_VERSIONS = List.of("2026-07-28");

    /** The revisions with an {@code initialize} handshake that processio speaks, newest first. */
    static final List<String> INITIALIZE_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05");


    static final String META_VERSION = "io.modelcontextprotocol/protocolVersion";
    static final String META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
    static final String META_CLIENT = "io.modelcontextprotocol/clientInfo";
    static final String META_SERVER = "io.modelcontextprotocol/serverInfo";

    private static final Map<String, String> CLIENT_INFO = Map.of("name", "processio", "version", clientVersion());

    private final String pinned;
    /** How long a worker has to answer the {@code server/discover} probe: half the start-up timeout. */
    private final long discoverTimeoutMillis;
    /** The version each worker negotiated. */
    private final Map<Worker, String> versions = new ConcurrentHashMap<>();
    /** The pool's version once its first worker has started: set once. */
    private final AtomicReference<String> negotiated = new AtomicReference<>();

    McpProtocol(NodeBridgeOptions options, RpcCodec codec, LongSupplier ids) {
        super(options, codec, ids);
        this.pinned = options.mcpProtocolVersion();
        this.discoverTimeoutMillis = Math.max(1, options.startupTimeout().toMillis() / 2);
        if (pinned != null && !STATELESS_VERSIONS.contains(pinned) && !INITIALIZE_VERSIONS.contains(pinned)) {
            throw new IllegalArgumentException("invalid processio options for pool '" + pool
                    + "': processio.worker.mcp.protocol-version " + pinned + " is not a version processio speaks: "
                    + STATELESS_VERSIONS + " (stateless) and " + INITIALIZE_VERSIONS + " (initialize)");
        }
    }

    @Override
    Dialect dialect() {
        return Dialect.MCP;
    }

    static boolean isStateless(String version) {
        return version.compareTo(STATELESS_VERSIONS.get(STATELESS_VERSIONS.size() - 1)) >= 0;
    }

    // ---- start-up -----------------------------------------------------------------------------

    @Override
    CompletableFuture<ServerInfo> handshake(WorkerStartup startup) {
        Worker worker = startup.worker();
        String held = poolVersion();
        CompletableFuture<ServerInfo> info;
        if (held != null) {
            info = isStateless(held) ? discover(startup, held, 0) : initialize(startup, held);
        } else {
            info = discover(startup, STATELESS_VERSIONS.get(0), discoverTimeoutMillis)
                    .exceptionallyCompose(e -> fallBack(startup, WorkerStartup.cause(e)));
        }
        return info.thenApply(i -> {
            versions.put(worker, i.protocolVersion());
            return i;
        });
    }

    /** The version every worker of the pool must speak: pinned, or the first worker's; {@code null} before that. */
    private String poolVersion() {
        return pinned != null ? pinned : negotiated.get();
    }

    /**
     * A worker has started: the first one fixes the pool's version. A worker that negotiated
     * another one, while others started at the same time, fails; its replacement is held to it.
     */
    @Override
    void started(WorkerStartup startup, ServerInfo info) {
        String version = info.protocolVersion();
        if (!negotiated.compareAndSet(null, version) && !negotiated.get().equals(version)) {
            throw startup.failed("mcp version", "it negotiated protocol version " + version + ", but the pool"
                    + " speaks " + negotiated.get() + ", which its first worker negotiated; a replacement will be"
                    + " held to it (pin it with processio.worker.mcp.protocol-version)");
        }
    }

    /** {@code server/discover} with {@code version} in its {@code _meta}: the stateless revision. */
    private CompletableFuture<ServerInfo> discover(WorkerStartup startup, String version, long timeoutMillis) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put(META_VERSION, version);
        meta.put(META_CLIENT, CLIENT_INFO);
        meta.put(META_CAPABILITIES, Map.of());
        return startup.call("mcp server/discover", "server/discover", Map.of("_meta", meta), timeoutMillis, false)
                .thenApply(result -> {
                    List<String> supported = strings(result, "supportedVersions");
                    String held = poolVersion();
                    String chosen = held != null ? (supported.contains(held) ? held : null)
                            : STATELESS_VERSIONS.stream().filter(supported::contains).findFirst().orElse(null);
                    if (chosen == null) {
                        throw new NotStateless(supported);
                    }
                    return serverInfo(result, chosen);
                });
    }

    /** The probe did not show a stateless server that shares a version with processio: {@code initialize}. */
    private CompletableFuture<ServerInfo> fallBack(WorkerStartup startup, Throwable probeFailure) {
        if (probeFailure instanceof NotStateless || probeFailure instanceof WorkerStartup.StepTimedOut
                || probeFailure instanceof WorkerStartup.StepRefused) {
            String version = INITIALIZE_VERSIONS.get(0);
            if (probeFailure instanceof WorkerStartup.StepRefused refused) {
                // An unsupported-version error lists the versions the server does speak.
                List<String> supported = strings(refused.error.data(), "supported");
                version = INITIALIZE_VERSIONS.stream().filter(supported::contains).findFirst().orElse(version);
            }
            return initialize(startup, version);
        }
        return CompletableFuture.failedFuture(probeFailure);
    }

    /** {@code initialize} asking for {@code version}, then {@code notifications/initialized}. */
    private CompletableFuture<ServerInfo> initialize(WorkerStartup startup, String version) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("protocolVersion", version);
        params.put("capabilities", Map.of());
        params.put("clientInfo", CLIENT_INFO);
        return startup.call("mcp initialize", "initialize", params, 0, false).thenApply(result -> {
            String answered = text(result, "protocolVersion");
            if (answered == null) {
                throw startup.failed("mcp initialize", "its result has no protocolVersion: " + result);
            }
            String held = poolVersion();
            if (held != null && !held.equals(answered)) {
                throw startup.failed("mcp initialize", "the server answered with protocol version " + answered
                        + ", but " + (pinned != null ? "processio.worker.mcp.protocol-version pins " + pinned
                                : "the pool speaks " + held + ", which its first worker negotiated"));
            }
            if (!INITIALIZE_VERSIONS.contains(answered)) {
                throw startup.failed("mcp initialize", "the server speaks protocol version " + answered
                        + ", which processio does not; it speaks " + INITIALIZE_VERSIONS + " and "
                        + STATELESS_VERSIONS);
            }
            startup.worker().notify("notifications/initialized", null);
            return serverInfo(result, answered);
        });
    }

    /**
     * From an {@code initialize} result ({@code serverInfo}), or a {@code server/discover} result,
     * whose schema puts it in {@code _meta["io.modelcontextprotocol/serverInfo"]}.
     */
    private ServerInfo serverInfo(JsonNode result, String version) {
        JsonNode server = result.get("serverInfo");
        JsonNode meta = result.get("_meta");
        if ((server == null || !server.isObject()) && meta != null && meta.get(META_SERVER) != null) {
            server = meta.get(META_SERVER);
        }
        return new ServerInfo(text(server, "name"), text(server, "version"), version,
                plainMap(codec, result.get("capabilities")));
    }

    // ---- calls --------------------------------------------------------------------------------

    @Override
    String heartbeatMethod(Worker worker) {
        if (healthCheckMethod != null) {
            return healthCheckMethod;
        }
        String version = versions.get(worker);
        return version != null && isStateless(version) ? "server/discover" : "ping";
    }

    @Override
    byte[] cancel(long id, String reason) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("requestId", id);
        params.put("reason", reason);
        return codec.notification("notifications/cancelled", params);
    }

    /** Either side may ping the other in MCP, and the receiver must answer at once with an empty result. */
    @Override
    Object ownAnswer(String method) {
        return "ping".equals(method) ? Map.of() : ServerRequestHandler.NOT_HANDLED;
    }

    /**
     * Adds the stateless revision's {@code _meta} members to a request's params, unless the pool's
     * workers are known to speak an {@code initialize} revision. The frame is written once, before
     * a worker is chosen, so the version is the pool's: the pinned one, else the one its first
     * worker negotiated, else (before any worker has started) the newest stateless one. A server of
     * an {@code initialize} revision ignores these members, which are reserved for MCP. The
     * application's own {@code _meta} members stay, except the protocol version.
     *
     * @throws BridgeProtocolException when {@code params} is not a JSON object, as MCP requires
     */
    @Override
    Object requestParams(Object params) {
        String held = poolVersion();
        String version = held != null ? held : STATELESS_VERSIONS.get(0);
        if (!isStateless(version)) {
            return params;
        }
        ObjectNode object = ownTree(params, params);
        ObjectNode meta = metaOf(object);
        meta.put(META_VERSION, version);
        if (!meta.has(META_CAPABILITIES)) {
            meta.putObject(META_CAPABILITIES);
        }
        return object;
    }

    /**
     * As {@link #requestParams(Object)}, with {@code _meta.progressToken} set to the request id,
     * which asks the server for {@code notifications/progress}: in every revision, the stateless one
     * and those with {@code initialize}. A token the application put there is replaced.
     */
    @Override
    Object progressParams(Object params, long id) {
        ObjectNode object = ownTree(requestParams(params), params);
        metaOf(object).put("progressToken", id);
        return object;
    }

    /** With the trace context in {@code params._meta.traceparent} and {@code tracestate}, where MCP carries it. */
    @Override
    byte[] request(long id, String method, Object params, boolean progress, TraceContext trace) {
        Object sent = progress ? progressParams(params, id) : requestParams(params);
        if (trace != null) {
            ObjectNode object = ownTree(sent, params);
            ObjectNode meta = metaOf(object);
            meta.put("traceparent", trace.traceparent());
            if (trace.tracestate() != null) {
                meta.put("tracestate", trace.tracestate());
            }
            sent = object;
        }
        return codec.request(id, method, sent);
    }

    /**
     * {@code sent} as a tree that may be changed: the one {@link #requestParams} made, or a copy of
     * the application's own tree, or a new one.
     */
    private ObjectNode ownTree(Object sent, Object params) {
        JsonNode tree;
        if (sent == null) {
            tree = codec.mapper().createObjectNode();
        } else if (sent != params && sent instanceof ObjectNode made) {
            tree = made;
        } else if (sent instanceof JsonNode own) {
            // The application's own tree, which it may use again: not changed here.
            tree = own.deepCopy();
        } else {
            tree = codec.mapper().valueToTree(sent);
        }
        if (!(tree instanceof ObjectNode object)) {
            throw new BridgeProtocolException(pool, "MCP requests take a JSON object as params, not " + tree);
        }
        return object;
    }

    /** The {@code _meta} object of {@code params}, made when missing. */
    private ObjectNode metaOf(ObjectNode params) {
        JsonNode given = params.get("_meta");
        if (given != null && !given.isObject()) {
            throw new BridgeProtocolException(pool, "MCP requests take a JSON object as params._meta, not " + given);
        }
        return given != null ? (ObjectNode) given : params.putObject("_meta");
    }

    /** {@code notifications/progress {progressToken, progress, total?, message?}}, for a token that is a request id. */
    @Override
    long progressFor(String method, JsonNode params) {
        return "notifications/progress".equals(method) ? requestId(params, "progressToken") : -1;
    }

    @Override
    void ended(Worker worker) {
        versions.remove(worker);
    }

    private static String clientVersion() {
        String v = McpProtocol.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The discover answer listed no stateless version that processio speaks. */
    private static final class NotStateless extends RuntimeException {

        NotStateless(List<String> supported) {
            super("server/discover listed " + supported, null, false, false);
        }
    }
}
