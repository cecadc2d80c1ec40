package dev.processio.protocol;

import tools.jackson.databind.JsonNode;

/**
 * A request from the worker to the host, such as MCP's {@code roots/list}. Only workers of the
 * {@code json-rpc} and {@code mcp} dialects may send one; the host answers it with
 * {@link RpcCodec#reply} or {@link RpcCodec#errorReply}.
 *
 * @param id the request's id as the worker wrote it: a {@link Long} or a {@link String}
 * @param method the method
 * @param params the params, or {@code null}
 */
public record RpcRequest(Object id, String method, JsonNode params) implements RpcMessage {
}
