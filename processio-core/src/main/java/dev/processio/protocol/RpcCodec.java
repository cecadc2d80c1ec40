package dev.processio.protocol;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TreeNode;
import tools.jackson.core.async.ByteArrayFeeder;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.tree.ArrayTreeNode;
import tools.jackson.core.tree.ObjectTreeNode;
import tools.jackson.core.type.ResolvedType;
import tools.jackson.core.type.TypeReference;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Encodes requests and notifications into frames, and reads the lines a worker writes to stdout.
 *
 * <p>Params are written with the application's mapper, so its modules and settings apply. A reply
 * is read in one pass: a streaming parser checks the envelope and reads the {@code result} member
 * straight into the type the caller asked for, with the application's mapper, without building a
 * tree or copying the line. The parser's read limits are raised to the frame size limit, which is
 * the limit that counts here.
 *
 * <p>Thread-safe.
 */
public final class RpcCodec {

    /** Says what the result of a reply is read into. Called on the thread that decodes. */
    @FunctionalInterface
    public interface ResultTypes {

        /** The type to read the result of reply {@code id} into, or {@code null} to skip it: nobody waits for it. */
        JavaType resultType(long id);
    }

    /** Cached readers beyond this many result types are not kept (types are normally a handful). */
    private static final int MAX_CACHED_READERS = 1024;
    private static final byte[] VERSION = JsonRpc.VERSION.getBytes(StandardCharsets.US_ASCII);

    private final ObjectMapper mapper;
    /** The application's mapper without indentation: a frame must stay on one line. */
    private final ObjectWriter writer;
    /** The application's mapper, reading one value out of a longer line. */
    private final ObjectReader resultReader;
    private final ConcurrentMap<JavaType, ObjectReader> resultReaders = new ConcurrentHashMap<>();
    /** Parses lines, and reads the members that are not results (errors, notification params) as trees. */
    private final JsonMapper lines;
    /**
     * What the line parsers give a custom deserializer that reads a nested value or tree from them
     * ({@code p.readValueAsTree()}, {@code p.readValueAs(...)}): the application's mapper.
     */
    private final ObjectReadContext readContext = new ApplicationReadContext();

    /**
     * @param mapper the application's mapper, for params and results
     * @param maxFrameSize the frame size limit, in bytes
     */
    public RpcCodec(ObjectMapper mapper, int maxFrameSize) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.writer = mapper.writer().without(SerializationFeature.INDENT_OUTPUT);
        // The result is one value inside the envelope: what follows it is the rest of the line.
        this.resultReader = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        // The frame size limit is what bounds a frame (the line reader enforces it); Jackson's finer
        // defaults would turn valid replies (deep nesting, long keys) into protocol faults.
        StreamReadConstraints limits = StreamReadConstraints.builder()
                .maxStringLength(Math.max(maxFrameSize, StreamReadConstraints.DEFAULT_MAX_STRING_LEN))
                .maxNameLength(Math.max(maxFrameSize, StreamReadConstraints.DEFAULT_MAX_NAME_LEN))
                .maxNestingDepth(Math.max(10_000, StreamReadConstraints.DEFAULT_MAX_DEPTH))
                .maxNumberLength(Math.max(100_000, StreamReadConstraints.DEFAULT_MAX_NUM_LEN))
                .build();
        // Lines are parsed on the workers' own stdout threads: per-thread buffers cost nothing per line.
        JsonFactory factory = JsonFactory.builder().streamReadConstraints(limits)
                .recyclerPool(JsonRecyclerPools.threadLocalPool()).build();
        this.lines = JsonMapper.builder(factory).disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    }

    /** The application's mapper. */
    public ObjectMapper mapper() {
        return mapper;
    }

    // ---- encoding ----------------------------------------------------------------------------

    /** {@code {"jsonrpc":"2.0","id":id,"method":method,"params":params}\n}; params omitted when {@code null}. */
    public byte[] request(long id, String method, Object params) {
        return encode(true, id, method, params);
    }

    /** {@code {"jsonrpc":"2.0","method":method,"params":params}\n}; params omitted when {@code null}. */
    public byte[] notification(String method, Object params) {
        return encode(false, 0, method, params);
    }

    private byte[] encode(boolean withId, long id, String method, Object params) {
        FrameOutput out = new FrameOutput();
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
        return out.frame();
    }

    /**
     * Collects what the generator flushes (for a small frame, all of it at once, when it closes)
     * into an array sized to the frame with its newline, so that a frame is normally one exact
     * allocation, not a growing buffer and a copy.
     */
    private static final class FrameOutput extends OutputStream {

        private byte[] buf;
        private int size;

        @Override
        public void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        /** Room for {@code len} more bytes and the newline. */
        private void ensure(int len) {
            int needed = size + len + 1;
            if (buf == null) {
                buf = new byte[needed];
            } else if (needed > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(needed, 2 * buf.length));
            }
        }

        byte[] frame() {
            ensure(0);
            buf[size++] = '\n';
            return size == buf.length ? buf : Arrays.copyOf(buf, size);
        }
    }

    // ---- decoding ----------------------------------------------------------------------------

    /**
     * Classifies one stdout line (without its newline), reading results as {@link JsonNode} trees.
     *
     * @return the message, or {@code null} for a blank line
     * @throws MalformedFrameException when the line starts like JSON but is not a valid message
     */
    public RpcMessage decode(byte[] bytes, int offset, int length) throws MalformedFrameException {
        JavaType tree = mapper.constructType(JsonNode.class);
        return decode(bytes, offset, length, id -> tree);
    }

    /**
     * Classifies one stdout line (without its newline). A reply's result is read into the type that
     * {@code types} gives for its id; a result that does not fit that type makes a reply with
     * {@link RpcReply#unreadable()} set, not a corrupt frame.
     *
     * @return the message, or {@code null} for a blank line
     * @throws MalformedFrameException when the line starts like JSON but is not a valid message
     */
    public RpcMessage decode(byte[] bytes, int offset, int length, ResultTypes types) throws MalformedFrameException {
        return decode(bytes, offset, length, types, null);
    }

    /**
     * A decoder for the lines of one stream, which keeps one parser across lines. Creating a
     * Jackson parser costs about 600 bytes, more than anything else a reply needs, so a worker's
     * stdout thread reads its replies with one of these.
     */
    public Decoder decoder() {
        return new Decoder();
    }

    /**
     * Decodes the lines of one stream, as {@link RpcCodec#decode(byte[], int, int, ResultTypes)}
     * does and with the same results, through one long-lived non-blocking parser that is fed one
     * line at a time. A line goes to that parser only when its brackets and quotes show one
     * complete object or array, so the parser never waits for more input in the middle of a
     * message. Any other line, and any line on which the long-lived parser fails, is decoded
     * afresh by a parser of its own, whose verdict counts; the long-lived parser is then replaced.
     * It is also replaced every {@value #LINES_PER_PARSER} lines, which bounds the property names
     * it keeps.
     *
     * <p>Not thread-safe: confined to the thread that reads the stream.
     */
    public final class Decoder implements AutoCloseable {

        static final int LINES_PER_PARSER = 1024;

        private JsonParser parser;
        private int linesRead;

        private Decoder() {
        }

        /** See {@link RpcCodec#decode(byte[], int, int, ResultTypes)}. */
        public RpcMessage decode(byte[] bytes, int offset, int length, ResultTypes types) throws MalformedFrameException {
            return RpcCodec.this.decode(bytes, offset, length, types, this);
        }

        /** Decodes one complete object or array, or returns {@code null} when this parser could not. */
        private RpcMessage decodeWhole(byte[] bytes, int first, int end, ResultTypes types) {
            try {
                if (parser == null || linesRead == LINES_PER_PARSER) {
                    close();
                    parser = lines.tokenStreamFactory().createNonBlockingByteArrayParser(readContext);
                    linesRead = 0;
                }
                linesRead++;
                ((ByteArrayFeeder) parser).feedInput(bytes, first, end);
                return new Envelope(parser, types, true).read();
            } catch (ResultUnreadable e) {
                // The parser stopped somewhere inside the result: it is not used again.
                close();
                throw e;
            } catch (MalformedFrameException | RuntimeException e) {
                close();
                return null;
            }
        }

        /** Releases the parser's buffers. */
        @Override
        public void close() {
            if (parser != null) {
                JsonParser p = parser;
                parser = null;
                try {
                    p.close();
                } catch (RuntimeException ignored) {
                    // A parser that failed has nothing left to release.
                }
            }
        }
    }

    private RpcMessage decode(byte[] bytes, int offset, int length, ResultTypes types, Decoder decoder)
            throws MalformedFrameException {
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
        try {
            if (decoder != null && isOneContainer(bytes, first, end)) {
                RpcMessage message = decoder.decodeWhole(bytes, first, end, types);
                if (message != null) {
                    return message;
                }
            }
            try (JsonParser p = lines.tokenStreamFactory().createParser(readContext, bytes, first,
                    end - first)) {
                return new Envelope(p, types, false).read();
            } catch (JacksonException e) {
                throw new MalformedFrameException("invalid_json", "not valid JSON: " + e.getOriginalMessage(), e);
            }
        } catch (ResultUnreadable e) {
            // Whether the line is a valid message is decided by reading it again without its result:
            // an exception from the caller's type (or its deserializers) says nothing about the JSON.
            RpcMessage message = decode(bytes, offset, length, id -> null, null);
            if (message instanceof RpcReply reply && !reply.isError()) {
                return new RpcReply(reply.id(), null, null, e.reason);
            }
            return message;
        }
    }

    /** Reading the result into the caller's type failed; thrown out of the line's parse, without a stack trace. */
    private static final class ResultUnreadable extends RuntimeException {

        final RuntimeException reason;

        ResultUnreadable(RuntimeException reason) {
            super(null, null, false, false);
            this.reason = reason;
        }
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

    /** Lets deserializers read nested values and trees from a line's parser with the application's mapper. */
    private final class ApplicationReadContext extends ObjectReadContext.Base {

        @Override
        public ObjectTreeNode createObjectNode() {
            return mapper.createObjectNode();
        }

        @Override
        public ArrayTreeNode createArrayNode() {
            return mapper.createArrayNode();
        }

        @SuppressWarnings("unchecked")
        @Override
        public <T extends TreeNode> T readTree(JsonParser p) {
            return (T) resultReader.readTree(p);
        }

        @Override
        public <T> T readValue(JsonParser p, Class<T> type) {
            return resultReader.forType(type).readValue(p);
        }

        @Override
        public <T> T readValue(JsonParser p, TypeReference<T> type) {
            return resultReader.forType(type).readValue(p);
        }

        @Override
        public <T> T readValue(JsonParser p, ResolvedType type) {
            return resultReader.forType((JavaType) type).readValue(p);
        }
    }

    /**
     * Whether {@code bytes[first, end)} is one object or array, closed, followed by blanks only, as
     * far as brackets and quotes show. It does not check the JSON inside: the parser does.
     */
    static boolean isOneContainer(byte[] bytes, int first, int end) {
        int depth = 0;
        boolean inString = false;
        int i = first;
        while (i < end) {
            byte b = bytes[i++];
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                if (--depth == 0) {
                    break;
                }
            }
        }
        if (depth != 0 || i > end) {
            return false;
        }
        while (i < end) {
            if (!isBlank(bytes[i++])) {
                return false;
            }
        }
        return true;
    }

    /**
     * One line's message, read member by member. A wrong member is remembered rather than thrown at
     * once, so that a line that is also not valid JSON further on is reported as invalid JSON.
     */
    private final class Envelope {

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

        Envelope(JsonParser p, ResultTypes types, boolean fed) {
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
                    params = lines.readTree(p);
                }
                case "result" -> {
                    resultSeen = once(resultSeen, name);
                    if (idValid) {
                        readResult();
                    } else {
                        resultTree = lines.readTree(p);
                    }
                }
                case "error" -> {
                    errorSeen = once(errorSeen, name);
                    error = lines.readTree(p);
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
                result = readerFor(type).readValue(p);
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
                    throw invalid("workers send no requests, only replies and notifications");
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
                result = readerFor(type).readValue(resultTree);
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
    }

    private ObjectReader readerFor(JavaType type) {
        ObjectReader r = resultReaders.get(type);
        if (r == null) {
            r = resultReader.forType(type);
            if (resultReaders.size() < MAX_CACHED_READERS) {
                resultReaders.putIfAbsent(type, r);
            }
        }
        return r;
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
