package dev.processio;

import java.util.Objects;

/**
 * A message a pool sends to each new worker before it takes calls: an init call (which must answer
 * with a result) or an init notification. Immutable.
 *
 * @param method the JSON-RPC method
 * @param params the params, written as JSON with the pool's mapper; {@code null} for none
 */
public record InitMessage(String method, Object params) {

    public InitMessage {
        Objects.requireNonNull(method, "method");
    }

    /** A message without params. */
    public static InitMessage of(String method) {
        return new InitMessage(method, null);
    }
}
