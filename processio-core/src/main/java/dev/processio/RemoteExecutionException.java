package dev.processio;

/**
 * The worker received the call and answered with a JSON-RPC error: the handler threw, the
 * method does not exist, or the params were rejected. The worker itself is healthy.
 */
public class RemoteExecutionException extends BridgeException {

    private final int code;
    private final String remoteType;
    private final String remoteMessage;
    private final String remoteStack;

    public RemoteExecutionException(String pool, String method, int code, String remoteType,
            String remoteMessage, String remoteStack) {
        super(pool, describe(method, code, remoteType, remoteMessage));
        this.code = code;
        this.remoteType = remoteType;
        this.remoteMessage = remoteMessage;
        this.remoteStack = remoteStack;
    }

    private static String describe(String method, int code, String type, String message) {
        String what = switch (code) {
            case -32601 -> "method not found";
            case -32602 -> "invalid params";
            case -32600 -> "invalid request";
            case -32700 -> "parse error";
            case -32603 -> "internal error in the worker runtime";
            default -> "handler failed";
        };
        return "call '" + method + "' failed remotely (" + what + ", code " + code + "): "
                + (type == null ? "" : type + ": ") + message;
    }

    /** The JSON-RPC error code: -32000 when the handler threw, -326xx for protocol-level errors. */
    public int code() {
        return code;
    }

    /** The remote error's type (for Node, the error's {@code name}), or {@code null}. */
    public String remoteType() {
        return remoteType;
    }

    /** The remote error's message. */
    public String remoteMessage() {
        return remoteMessage;
    }

    /** The remote stack trace as text, or {@code null}. */
    public String remoteStack() {
        return remoteStack;
    }
}
