package dev.processio.protocol;

import dev.processio.protocol.RpcCodec.ResultTypes;
import java.nio.charset.StandardCharsets;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;

/**
 * One line's message, read member by member. A wrong member is remembered rather than thrown at
 * once, so that a line that is also not valid JSON further on is reported as invalid JSON.
 *
 * <p>The result is read in place, into the caller's type, with the codec's cached readers; a
 * failure there is thrown as {@link ResultUnreadable}, for {@link RpcCodec} to tell an unreadable
 * result from a corrupt line. One instance per line; not thread-safe: used by the thread that
 * decodes the line, and only while it does.
 */
final class Envelope {

    private static final byte[] VERSION = JsonRpc.VERSION.getBytes(StandardCharsets.US_ASCII);

    /** The codec whose line mapper and cached result readers this line is read with. */
    private final RpcCodec codec;
    private final JsonParser p;
    private final ResultTypes types;
    /** Whether {@code p} is the long-lived non-blocking parser, fed exactly this line. */
    private final boolean fed;
    private String problem;
    private boolean versionSeen;
    private boolean idSeen;
    private boolean idValid;
    private boolean idNull;
    private long id;
    /** A string id: only valid on a request from the worker. */
    private String idText;
    private String method;
    private boolean methodSeen;
    private boolean paramsSeen;
    private JsonNode params;
    private boolean resultSeen;
    private Object result;
    /** A result met before the id, so that its type was not known yet. */
    private JsonNode resultTree;
    private RuntimeException unreadable;
    private boolean errorSeen;
    private JsonNode error;

    Envelope(RpcCodec codec, JsonParser p, ResultTypes types, boolean fed) {
        this.codec = codec;
        this.p = p;
        this.types = types;
        this.fed = fed;
    }

    RpcMessage read() throws MalformedFrameException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            endOfLine();
            throw invalid("a JSON-RPC message must be a JSON object (batches are not used)");
        }
        while ((t = p.nextToken()) == JsonToken.PROPERTY_NAME) {
            String name = p.currentName();
            p.nextToken();
            member(name);
        }
        if (t != JsonToken.END_OBJECT) {
            throw endsInside();
        }
        endOfLine();
        if (problem != null) {
            throw invalid(problem);
        }
        return message();
    }

    private void member(String name) throws MalformedFrameException {
        switch (name) {
            case "jsonrpc" -> {
                versionSeen = once(versionSeen, name);
                if (!isVersion()) {
                    problem("\"jsonrpc\" must be \"2.0\"");
                }
                p.skipChildren();
            }
            case "id" -> {
                idSeen = once(idSeen, name);
                JsonToken t = p.currentToken();
                idNull = t == JsonToken.VALUE_NULL;
                idValid = t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
                if (idValid) {
                    id = p.getLongValue();
                } else if (t == JsonToken.VALUE_STRING) {
                    idText = p.getString();
                }
                p.skipChildren();
            }
            case "method" -> {
                methodSeen = once(methodSeen, name);
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    method = p.getString();
                }
                p.skipChildren();
            }
            case "params" -> {
                paramsSeen = once(paramsSeen, name);
                params = codec.lines.readTree(p);
            }
            case "result" -> {
                resultSeen = once(resultSeen, name);
                if (idValid) {
                    readResult();
                } else {
                    resultTree = codec.lines.readTree(p);
                }
            }
            case "error" -> {
                errorSeen = once(errorSeen, name);
                error = codec.lines.readTree(p);
            }
            default -> p.skipChildren();
        }
    }

    /** Reads the result in place, into the caller's type. */
    private void readResult() throws MalformedFrameException {
        JavaType type = types.resultType(id);
        if (type == null) {
            p.skipChildren();
            return;
        }
        try {
            result = codec.readerFor(type).readValue(p);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            // Also a syntax error inside the result: the line is read again to tell.
            throw new ResultUnreadable(unreadable(e));
        }
        // The envelope is at depth 1. A deserializer that stopped early left the parser inside
        // the result: skip the rest of it.
        while (p.streamReadContext().getNestingDepth() > 1) {
            JsonToken t = p.nextToken();
            if (t == null || t == JsonToken.NOT_AVAILABLE) {
                throw endsInside();
            }
        }
    }

    private RpcMessage message() throws MalformedFrameException {
        if (!versionSeen) {
            throw invalid("\"jsonrpc\" must be \"2.0\"");
        }
        if (methodSeen) {
            if (method == null) {
                throw invalid("\"method\" must be a string");
            }
            if (idSeen) {
                if (!idValid && idText == null) {
                    throw invalid("a request's \"id\" must be an integer or a string");
                }
                return new RpcRequest(idValid ? (Object) id : idText, method, params);
            }
            return new RpcNotification(method, params);
        }
        if (!idValid) {
            if (idNull && error != null) {
                throw invalid("the worker reported an error it could not attribute to a request: " + error);
            }
            throw invalid("a reply needs an integer \"id\"");
        }
        if (resultSeen == (error != null)) {
            throw invalid("a reply needs exactly one of \"result\" and \"error\"");
        }
        if (error == null) {
            if (resultTree != null) {
                readResultTree();
            }
            return new RpcReply(id, result, null, unreadable);
        }
        JsonNode code = error.get("code");
        JsonNode message = error.get("message");
        if (!error.isObject() || code == null || !code.isIntegralNumber() || !code.canConvertToInt()
                || message == null || !message.isString()) {
            throw invalid("\"error\" needs an integer \"code\" and a string \"message\"");
        }
        JsonNode data = error.get("data");
        return new RpcReply(id, null,
                new RpcError(code.intValue(), message.stringValue(), data == null || data.isNull() ? null : data),
                null);
    }

    /** The result came before the id: read it from the tree now that its type is known. */
    private void readResultTree() {
        JavaType type = types.resultType(id);
        if (type == null) {
            return;
        }
        try {
            result = codec.readerFor(type).readValue(resultTree);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            unreadable = unreadable(e);
        }
    }

    private boolean isVersion() {
        if (p.currentToken() != JsonToken.VALUE_STRING || p.getStringLength() != VERSION.length) {
            return false;
        }
        char[] chars = p.getStringCharacters();
        int at = p.getStringOffset();
        for (int i = 0; i < VERSION.length; i++) {
            if (chars[at + i] != VERSION[i]) {
                return false;
            }
        }
        return true;
    }

    /** Marks a member as seen: returns true. A second one makes the message wrong. */
    private boolean once(boolean seen, String name) {
        if (seen) {
            problem("\"" + name + "\" appears more than once");
        }
        return true;
    }

    private void problem(String text) {
        if (problem == null) {
            problem = text;
        }
    }

    /**
     * After the message: nothing but whitespace may follow. A fed parser has then read all it
     * was given and is ready for the next line.
     */
    private void endOfLine() throws MalformedFrameException {
        if (p.nextToken() != (fed ? JsonToken.NOT_AVAILABLE : null)) {
            throw new MalformedFrameException("invalid_json", "not valid JSON: more than one value on the line",
                    null);
        }
    }

    private static MalformedFrameException endsInside() {
        return new MalformedFrameException("invalid_json", "not valid JSON: the line ends inside the message", null);
    }

    private static MalformedFrameException invalid(String message) {
        return new MalformedFrameException("invalid_message", message, null);
    }

    /**
     * What a failure to read a result becomes. Errors that only concern the caller's type (a
     * recursion too deep for the result, a class of the type that fails to load or initialise)
     * fail the call like any other, instead of ending the worker's stdout thread.
     */
    private static RuntimeException unreadable(Throwable e) {
        if (e instanceof RuntimeException r) {
            return r;
        }
        return new IllegalArgumentException(e instanceof StackOverflowError
                ? "the result is nested too deeply for the requested type (" + e + ")"
                : "the requested type cannot be used (" + e + ")", e);
    }

    /** Reading the result into the caller's type failed; thrown out of the line's parse, without a stack trace. */
    static final class ResultUnreadable extends RuntimeException {

        final RuntimeException reason;

        ResultUnreadable(RuntimeException reason) {
            super(null, null, false, false);
            this.reason = reason;
        }
    }
}
