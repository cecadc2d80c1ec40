package dev.processio;

import java.util.concurrent.CompletionStage;
import tools.jackson.databind.JsonNode;

/**
 * Answers the requests a worker sends to the host, such as MCP's {@code roots/list} or
 * {@code sampling/createMessage}. Without a handler every such request is answered with the
 * JSON-RPC error -32601 (method not found), so that the worker never waits for an answer that will
 * not come. Workers of the {@link Dialect#PROCESSIO processio} dialect send no requests.
 *
 * <h2>Threads</h2>
 * Called on the worker's stdout thread, which reads no reply of that worker until the handler
 * returns: a handler must return at once. Slow work returns a {@link CompletionStage}, and its
 * result is sent when it completes, from whatever thread completes it.
 */
@FunctionalInterface
public interface ServerRequestHandler {

    /**
     * @param pool the pool whose worker asked
     * @param method the request's method
     * @param params its params, or {@code null}
     * @return the result, written as JSON with the pool's mapper; a {@link CompletionStage} of it;
     *         or {@link #NOT_HANDLED} to answer -32601. An exception, thrown or in the stage,
     *         becomes the error -32603 with the exception's message
     */
    Object handle(String pool, String method, JsonNode params) throws Exception;

    /** What {@link #handle} returns for a method it does not serve. */
    Object NOT_HANDLED = new Object() {
        @Override
        public String toString() {
            return "NOT_HANDLED";
        }
    };
}
