package dev.processio.pool;

import dev.processio.BridgeStartupException;
import dev.processio.Dialect;
import dev.processio.InitMessage;
import dev.processio.NodeBridgeOptions;
import dev.processio.ServerInfo;
import dev.processio.ServerRequestHandler;
import dev.processio.protocol.JsonRpc;
import dev.processio.protocol.RpcCodec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import tools.jackson.databind.JsonNode;

/**
 * What a pool's {@link Dialect} makes of a worker's life beyond the framing: its start-up, its
 * heartbeat, how a request the host gave up on is cancelled, and what a request's params carry.
 * One instance per pool, shared by its workers; each subclass is one dialect.
 *
 * <p>Thread-safe: immutable, except for what {@link McpProtocol} remembers of the version its
 * workers negotiated (a volatile field).
 */
abstract class WorkerProtocol {

    final String pool;
    final RpcCodec codec;
    /** {@code processio.health-check.method}, or {@code null} for the dialect's own. */
    final String healthCheckMethod;
    /** The pool's request ids, which start-up requests and heartbeats share with calls. */
    final LongSupplier ids;
    final List<InitMessage> initCalls;
    final List<InitMessage> initNotifications;
    /** Answers requests from workers, or {@code null}. */
    final ServerRequestHandler handler;

    WorkerProtocol(NodeBridgeOptions options, RpcCodec codec, LongSupplier ids) {
        this.pool = options.name();
        this.codec = codec;
        this.healthCheckMethod = options.healthCheckMethod();
        this.ids = ids;
        this.initCalls = options.initCalls();
        this.initNotifications = options.initNotifications();
        this.handler = options.serverRequestHandler();
    }

    static WorkerProtocol of(NodeBridgeOptions options, RpcCodec codec, LongSupplier ids) {
        return switch (options.dialect()) {
            case PROCESSIO -> new Processio(options, codec, ids);
            case JSON_RPC -> new JsonRpcServer(options, codec, ids);
            case MCP -> new McpProtocol(options, codec, ids);
        };
    }

    /**
     * A worker's start-up has succeeded, init calls included: the last word on it. Throws the
     * worker's start-up failure when the pool cannot use it after all.
     */
    void started(WorkerStartup startup, ServerInfo info) {
    }

    /** A worker has ended: forget what was kept about it. */
    void ended(Worker worker) {
    }

    abstract Dialect dialect();

    /**
     * The dialect's own start-up of one worker, after its process has started; init calls and
     * notifications follow it. Completes with what the worker said about itself ({@code null}
     * when nothing is known), or fails with a {@link BridgeStartupException}.
     */
    abstract CompletableFuture<ServerInfo> handshake(WorkerStartup startup);

    /** The method of a heartbeat request to {@code worker}, or {@code null} for none. */
    String heartbeatMethod(Worker worker) {
        return healthCheckMethod;
    }

    /** A heartbeat request frame, or {@code null} when this worker gets none. */
    byte[] heartbeat(Worker worker, long id) {
        String method = heartbeatMethod(worker);
        return method == null ? null : codec.request(id, method, requestParams(null));
    }

    /** The notification that tells a worker the host gave up on request {@code id}, or {@code null} for none. */
    abstract byte[] cancel(long id, String reason);

    /**
     * The request frame of an application's call: its params as the dialect sends them (with
     * {@code _meta} in MCP, asking for progress when someone listens), and the caller's trace
     * context where the dialect carries it. A {@code json-rpc} server gets no trace context: its
     * requests carry nothing it did not ask for.
     */
    byte[] request(long id, String method, Object params, boolean progress, TraceContext trace) {
        return codec.request(id, method, progress ? progressParams(params, id) : requestParams(params));
    }

    /** The params as sent for an application's call: unchanged, except in MCP. */
    Object requestParams(Object params) {
        return params;
    }

    // ---- progress -----------------------------------------------------------------------------

    /**
     * The params of a call {@code id} whose progress someone listens to: in MCP they ask for it
     * ({@code _meta.progressToken}); a processio worker reports progress unasked.
     */
    Object progressParams(Object params, long id) {
        return requestParams(params);
    }

    /**
     * The id of the host's request that a notification reports the progress of, or -1 when it is
     * not the dialect's progress notification, or names no request by an integer.
     */
    long progressFor(String method, JsonNode params) {
        return -1;
    }

    /** What a listener hears of a progress notification that {@link #progressFor} accepted; never {@code null}. */
    JsonNode progressValue(JsonNode params) {
        return params;
    }

    /** {@code member} of {@code params} when it is an integer that can be a request id, else -1. */
    static long requestId(JsonNode params, String member) {
        JsonNode v = params == null ? null : params.get(member);
        return v != null && v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0 ? v.longValue() : -1;
    }

    /**
     * The dialect's own answer to a request from the worker, before any handler is asked; or
     * {@link ServerRequestHandler#NOT_HANDLED} to leave it to the application.
     */
    Object ownAnswer(String method) {
        return ServerRequestHandler.NOT_HANDLED;
    }

    /** Whether method names that start with {@code processio/} are the dialect's and closed to calls. */
    boolean reservesProcessioMethods() {
        return false;
    }

    /**
     * Whether a request from the worker is answered (with the handler's result, or -32601); when
     * {@code false} such a line is a corrupt frame, as the processio protocol has no requests from
     * workers.
     */
    boolean answersWorkerRequests() {
        return true;
    }

    /** processio's own protocol: {@code processio/ready}, {@code processio/ping}, {@code processio/cancel}. */
    static final class Processio extends WorkerProtocol {

        Processio(NodeBridgeOptions options, RpcCodec codec, LongSupplier ids) {
            super(options, codec, ids);
        }

        @Override
        Dialect dialect() {
            return Dialect.PROCESSIO;
        }

        @Override
        CompletableFuture<ServerInfo> handshake(WorkerStartup startup) {
            return startup.readyNotice().thenApply(Processio::serverInfo);
        }

        /** {@code runtime} and {@code methods} are informative: what is not a string is left out. */
        private static ServerInfo serverInfo(JsonNode ready) {
            Map<String, Object> capabilities = new LinkedHashMap<>();
            JsonNode methods = ready.get("methods");
            if (methods != null && methods.isArray()) {
                capabilities.put("methods", strings(ready, "methods"));
            }
            return new ServerInfo("processio", text(ready, "runtime"), Integer.toString(JsonRpc.PROTOCOL_VERSION),
                    Map.copyOf(capabilities));
        }

        @Override
        String heartbeatMethod(Worker worker) {
            return healthCheckMethod != null ? healthCheckMethod : JsonRpc.PING;
        }

        @Override
        byte[] cancel(long id, String reason) {
            return codec.notification(JsonRpc.CANCEL, Map.of("id", id));
        }

        /** The trace context as top-level members, which the bundled runtimes hand to handlers. */
        @Override
        byte[] request(long id, String method, Object params, boolean progress, TraceContext trace) {
            Object sent = progress ? progressParams(params, id) : requestParams(params);
            return trace == null ? codec.request(id, method, sent)
                    : codec.request(id, method, sent, trace.traceparent(), trace.tracestate());
        }

        @Override
        boolean reservesProcessioMethods() {
            return true;
        }

        /** {@code processio/progress {"id": N, "value": ...}}. */
        @Override
        long progressFor(String method, JsonNode params) {
            return JsonRpc.PROGRESS.equals(method) ? requestId(params, "id") : -1;
        }

        /** The {@code value} member; JSON {@code null} when it is missing. */
        @Override
        JsonNode progressValue(JsonNode params) {
            JsonNode value = params.get("value");
            return value == null ? tools.jackson.databind.node.NullNode.getInstance() : value;
        }

        @Override
        boolean answersWorkerRequests() {
            return false;
        }
    }

    /**
     * Any JSON-RPC 2.0 server: no handshake of its own; a heartbeat and a cancel notification only
     * when configured. Without init calls, the heartbeat method, when set, is also sent once at
     * start-up as a probe that the server answers.
     */
    static final class JsonRpcServer extends WorkerProtocol {

        private final String cancelMethod;
        private final String cancelIdMember;
        private final boolean probe;

        JsonRpcServer(NodeBridgeOptions options, RpcCodec codec, LongSupplier ids) {
            super(options, codec, ids);
            this.cancelMethod = options.cancelNotificationMethod();
            this.cancelIdMember = options.cancelNotificationIdMember();
            this.probe = options.initCalls().isEmpty() && healthCheckMethod != null;
        }

        @Override
        Dialect dialect() {
            return Dialect.JSON_RPC;
        }

        @Override
        CompletableFuture<ServerInfo> handshake(WorkerStartup startup) {
            if (!probe) {
                return CompletableFuture.completedFuture(null);
            }
            return startup.call("probe (processio.health-check.method " + healthCheckMethod + ")", healthCheckMethod,
                    null, 0, true).thenApply(result -> null);
        }

        @Override
        byte[] cancel(long id, String reason) {
            return cancelMethod == null ? null : codec.notification(cancelMethod, Map.of(cancelIdMember, id));
        }
    }

    /** {@code value} as plain Java values (maps, lists, strings, numbers, booleans), or an empty map. */
    static Map<String, Object> plainMap(RpcCodec codec, JsonNode value) {
        if (value == null || !value.isObject()) {
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = codec.mapper().convertValue(value, LinkedHashMap.class);
        return java.util.Collections.unmodifiableMap(map);
    }

    /** A string member, or {@code null}. */
    static String text(JsonNode node, String member) {
        JsonNode v = node == null ? null : node.get(member);
        return v == null || !v.isString() ? null : v.asString();
    }

    /** The strings of an array member; empty when it is missing or not an array. */
    static List<String> strings(JsonNode node, String member) {
        JsonNode v = node == null ? null : node.get(member);
        if (v == null || !v.isArray()) {
            return List.of();
        }
        return v.valueStream().filter(JsonNode::isString).map(JsonNode::asString).toList();
    }
}
