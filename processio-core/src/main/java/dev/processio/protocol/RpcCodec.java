package dev.processio.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Encodes requests and notifications into frames, and classifies the lines a worker writes to
 * stdout.
 *
 * <p>Params are written with the application's mapper, so its modules and settings apply. Frames
 * read from the worker are parsed with an internal mapper whose read limits are raised to the
 * frame size limit, which is the limit that counts here.
 *
 * <p>Thread-safe and stateless.
 */
public final class RpcCodec {

    private final ObjectMapper mapper;
    /** The application's mapper without indentation: a frame must stay on one line. */
    private final ObjectWriter writer;
    private final JsonMapper reader;

    /**
     * @param mapper the application's mapper, for params
     * @param maxFrameSize the frame size limit, in bytes
     */
    public RpcCodec(ObjectMapper mapper, int maxFrameSize) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.writer = mapper.writer().without(SerializationFeature.INDENT_OUTPUT);
        // The frame size limit is what bounds a frame; Jackson's finer defaults would turn valid
        // replies (deep nesting, long keys) into protocol faults.
        StreamReadConstraints limits = StreamReadConstraints.builder()
                .maxStringLength(Math.max(maxFrameSize, StreamReadConstraints.DEFAULT_MAX_STRING_LEN))
                .maxDocumentLength(maxFrameSize)
                .maxNameLength(Math.max(maxFrameSize, StreamReadConstraints.DEFAULT_MAX_NAME_LEN))
                .maxNestingDepth(Math.max(10_000, StreamReadConstraints.DEFAULT_MAX_DEPTH))
                .maxNumberLength(Math.max(100_000, StreamReadConstraints.DEFAULT_MAX_NUM_LEN))
                .build();
        this.reader = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(limits).build()).build();
    }

    /** The application's mapper, for converting results. */
    public ObjectMapper mapper() {
        return mapper;
    }

    /** {@code {"jsonrpc":"2.0","id":id,"method":method,"params":params}\n}; params omitted when {@code null}. */
    public byte[] request(long id, String method, Object params) {
        return encode(true, id, method, params);
    }

    /** {@code {"jsonrpc":"2.0","method":method,"params":params}\n}; params omitted when {@code null}. */
    public byte[] notification(String method, Object params) {
        return encode(false, 0, method, params);
    }

    private byte[] encode(boolean withId, long id, String method, Object params) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = writer.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringProperty("jsonrpc", JsonRpc.VERSION);
            if (withId) {
                g.writeNumberProperty("id", id);
            }
            g.writeStringProperty("method", method);
            if (params != null) {
                g.writeName("params");
                g.writePOJO(params);
            }
            g.writeEndObject();
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * Classifies one stdout line (without its newline).
     *
     * @return the message, or {@code null} for a blank line
     * @throws MalformedFrameException when the line starts like JSON but is not a valid message
     */
    public RpcMessage decode(byte[] bytes, int offset, int length) throws MalformedFrameException {
        int first = offset;
        int end = offset + length;
        while (first < end && isBlank(bytes[first])) {
            first++;
        }
        if (first == end) {
            return null;
        }
        if (bytes[first] != '{' && bytes[first] != '[') {
            return new StrayLine(new String(bytes, offset, length, StandardCharsets.UTF_8));
        }
        if (!Utf8.isValid(bytes, first, end)) {
            throw new MalformedFrameException("invalid_json", "not valid UTF-8", null);
        }
        JsonNode tree;
        try {
            tree = reader.readTree(bytes, offset, length);
        } catch (JacksonException e) {
            throw new MalformedFrameException("invalid_json", "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw invalid("a JSON-RPC message must be a JSON object (batches are not used)");
        }
        JsonNode version = tree.get("jsonrpc");
        if (version == null || !version.isString() || !JsonRpc.VERSION.equals(version.stringValue())) {
            throw invalid("\"jsonrpc\" must be \"2.0\"");
        }
        JsonNode id = tree.get("id");
        JsonNode method = tree.get("method");
        if (method != null) {
            if (!method.isString()) {
                throw invalid("\"method\" must be a string");
            }
            if (id != null) {
                throw invalid("workers send no requests, only replies and notifications");
            }
            return new RpcNotification(method.stringValue(), tree.get("params"));
        }
        if (id == null || !id.isIntegralNumber() || !id.canConvertToLong()) {
            JsonNode error = tree.get("error");
            if (id != null && id.isNull() && error != null) {
                throw invalid("the worker reported an error it could not attribute to a request: " + error);
            }
            throw invalid("a reply needs an integer \"id\"");
        }
        JsonNode result = tree.get("result");
        JsonNode error = tree.get("error");
        if ((result == null) == (error == null)) {
            throw invalid("a reply needs exactly one of \"result\" and \"error\"");
        }
        if (error == null) {
            return new RpcReply(id.longValue(), result, null);
        }
        JsonNode code = error.get("code");
        JsonNode message = error.get("message");
        if (!error.isObject() || code == null || !code.isIntegralNumber() || !code.canConvertToInt()
                || message == null || !message.isString()) {
            throw invalid("\"error\" needs an integer \"code\" and a string \"message\"");
        }
        JsonNode data = error.get("data");
        return new RpcReply(id.longValue(), null,
                new RpcError(code.intValue(), message.stringValue(), data == null || data.isNull() ? null : data));
    }

    private static MalformedFrameException invalid(String message) {
        return new MalformedFrameException("invalid_message", message, null);
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\r';
    }

    /** The beginning of a line as text, for log messages: at most {@code max} characters. */
    public static String excerpt(byte[] bytes, int offset, int length, int max) {
        String s = new String(bytes, offset, Math.min(length, max * 4), StandardCharsets.UTF_8);
        return s.length() <= max && length <= max * 4 ? s : s.substring(0, Math.min(s.length(), max)) + "...";
    }
}
