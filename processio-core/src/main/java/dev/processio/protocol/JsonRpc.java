package dev.processio.protocol;

/** Constants of the processio wire protocol (JSON-RPC 2.0, one message per line). See docs/protocol.md. */
public final class JsonRpc {

    /** The {@code jsonrpc} member of every message. */
    public static final String VERSION = "2.0";

    /** The wire protocol version that a worker announces in {@code processio/ready}. */
    public static final int PROTOCOL_VERSION = 1;

    /** Default frame size limit, newline included: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

    /** Environment variable through which a worker learns the frame size limit. */
    public static final String MAX_FRAME_SIZE_ENV = "PROCESSIO_MAX_FRAME_SIZE";

    public static final String READY = "processio/ready";
    public static final String PING = "processio/ping";
    public static final String CANCEL = "processio/cancel";
    public static final String SHUTDOWN = "processio/shutdown";
    /** A handler's progress, worker to host: {@code {"id": <request id>, "value": ...}}. */
    public static final String PROGRESS = "processio/progress";

    /** Prefix of every reserved method name. */
    public static final String RESERVED_PREFIX = "processio/";

    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** The handler threw. */
    public static final int HANDLER_ERROR = -32000;

    private JsonRpc() {
    }
}
