package dev.processio.protocol;

import tools.jackson.databind.JsonNode;

/** The {@code error} member of a reply. {@code data} may be {@code null}. */
public record RpcError(int code, String message, JsonNode data) {

    /** {@code data.type}: the remote error's class or name, or {@code null}. */
    public String type() {
        return text("type");
    }

    /** {@code data.stack}: the remote stack trace, or {@code null}. */
    public String stack() {
        return text("stack");
    }

    private String text(String name) {
        if (data == null) {
            return null;
        }
        JsonNode node = data.get(name);
        return node != null && node.isString() ? node.stringValue() : null;
    }
}
