package dev.processio.protocol;

import tools.jackson.databind.JsonNode;

/** A notification from the worker, such as {@code processio/ready}. {@code params} may be {@code null}. */
public record RpcNotification(String method, JsonNode params) implements RpcMessage {
}
