package dev.processio.protocol;

import tools.jackson.databind.JsonNode;

/**
 * A reply to a request: exactly one of {@code result} and {@code error} is set. {@code result} is
 * the parsed JSON tree, so that the caller maps it to its own type without parsing text again.
 */
public record RpcReply(long id, JsonNode result, RpcError error) implements RpcMessage {

    public boolean isError() {
        return error != null;
    }
}
