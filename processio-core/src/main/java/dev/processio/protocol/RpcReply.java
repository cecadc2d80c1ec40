package dev.processio.protocol;

/**
 * A reply to a request: a result or an error.
 *
 * <p>The result has already been read from the reply line into the type its caller asked for (see
 * {@link RpcCodec#decode(byte[], int, int, ResultTypes)}), so it is parsed once and never held as
 * a tree. When that type does not fit the result, {@code unreadable} says why; the reply itself
 * was still a valid message.
 *
 * @param id the request's id
 * @param result the result in the caller's type; {@code null} for a JSON {@code null}, for an
 *        error, for an unreadable result, or when nobody waited for it
 * @param error the error member, or {@code null} for a result
 * @param unreadable why the result could not be read into the caller's type, or {@code null}
 */
public record RpcReply(long id, Object result, RpcError error, RuntimeException unreadable) implements RpcMessage {

    public boolean isError() {
        return error != null;
    }
}
