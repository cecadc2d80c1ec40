package dev.processio.protocol;

import dev.processio.protocol.Envelope.ResultUnreadable;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.async.ByteArrayFeeder;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * Encodes requests and notifications into frames, and reads the lines a worker writes to stdout.
 *
 * <p>Params are written with the application's mapper, so its modules and settings apply. A reply
 * is read in one pass: a streaming parser checks the envelope and reads the {@code result} member
 * straight into the type the caller asked for, with the application's mapper, without building a
 * tree or copying the line.
 *
 * <h2>Read limits</h2>
 * A line is parsed with explicit limits, set from the frame size limit ({@code maxFrameSize}, the
 * option {@code processio.io.max-frame-size}) and not from Jackson's defaults, which would turn valid
 * replies into protocol faults:
 * <ul>
 * <li><b>string values and property names</b>: at most {@code maxFrameSize} characters. A string
 *     cannot be longer than the frame that holds it, so the frame limit is the only one that counts.
 * <li><b>nesting depth</b>: at most {@value #MAX_NESTING_DEPTH} levels of objects and arrays,
 *     whatever the frame size. Depth costs stack, not bytes: the caller's deserializers recurse on
 *     the worker's stdout thread, and a frame of a few hundred KiB can nest far deeper than any
 *     stack.
 * <li><b>number length</b>: at most {@value #MAX_NUMBER_LENGTH} digits in the integer part of a
 *     number, and as many characters in the text of a number with a fraction or an exponent, whatever
 *     the frame size. Converting a number of n digits to {@code BigInteger} or {@code BigDecimal}
 *     takes time that grows faster than n; at this length it takes some tens of milliseconds, with
 *     Jackson's fast big number parser, which the line parsers use.
 * </ul>
 * A line past one of these limits is not valid JSON to the host: a corrupt frame, as a line past
 * the frame size limit is.
 *
 * <p>Frames are written by {@link FrameEncoder}; a line's members are walked by {@link Envelope}.
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

    /** Deepest nesting of objects and arrays in a line; see "Read limits" above. */
    static final int MAX_NESTING_DEPTH = 10_000;

    /** Longest number in a line, in digits; see "Read limits" above. */
    static final int MAX_NUMBER_LENGTH = 100_000;

    /** Cached readers beyond this many result types are not kept (types are normally a handful). */
    private static final int MAX_CACHED_READERS = 1024;

    private final ObjectMapper mapper;
    private final FrameEncoder encoder;
    /** The application's mapper, reading one value out of a longer line. */
    private final ObjectReader resultReader;
    private final ConcurrentMap<JavaType, ObjectReader> resultReaders = new ConcurrentHashMap<>();
    /** Parses lines, and reads the members that are not results (errors, notification params) as trees. */
    final JsonMapper lines;
    /**
     * What the line parsers give a custom deserializer that reads a nested value or tree from them:
     * the application's mapper (see {@link ApplicationReadContext}).
     */
    private final ObjectReadContext readContext;

    /**
     * @param mapper the application's mapper, for params and results
     * @param maxFrameSize the frame size limit, in bytes
     */
    public RpcCodec(ObjectMapper mapper, int maxFrameSize) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.encoder = new FrameEncoder(mapper);
        // The result is one value inside the envelope: what follows it is the rest of the line.
        this.resultReader = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.readContext = new ApplicationReadContext(mapper, resultReader);
        StreamReadConstraints limits = readLimits(maxFrameSize);
        // Lines are parsed on the workers' own stdout threads: per-thread buffers cost nothing per line.
        // The sub-quadratic big number parser: a number at the length limit, read into BigInteger or
        // BigDecimal (a JsonNode does that for any integer past long), costs a third of the time.
        JsonFactory factory = JsonFactory.builder().streamReadConstraints(limits)
                .enable(StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
                .recyclerPool(JsonRecyclerPools.threadLocalPool()).build();
        this.lines = JsonMapper.builder(factory).disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    }

    /**
     * The read limits of the line parsers for a frame size limit (see "Read limits" above). The
     * document length is not limited here: the line reader enforces the frame size, and a
     * long-lived decoder's parser reads many lines as one document.
     */
    static StreamReadConstraints readLimits(int maxFrameSize) {
        if (maxFrameSize < 1) {
            throw new IllegalArgumentException("maxFrameSize must be positive");
        }
        return StreamReadConstraints.builder()
                .maxStringLength(maxFrameSize)
                .maxNameLength(maxFrameSize)
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .build();
    }

    /** The application's mapper. */
    public ObjectMapper mapper() {
        return mapper;
    }

    // ---- encoding ----------------------------------------------------------------------------

    /** {@code {"jsonrpc":"2.0","id":id,"method":method,"params":params}\n}; params omitted when {@code null}. */
    public byte[] request(long id, String method, Object params) {
        return encoder.encode(true, id, method, params);
    }

    /**
     * As {@link #request(long, String, Object)}, with the caller's W3C trace context as top-level
     * members {@code traceparent} and {@code tracestate} (processio dialect), each omitted when {@code null}.
     */
    public byte[] request(long id, String method, Object params, String traceparent, String tracestate) {
        return encoder.encode(true, id, method, params, traceparent, tracestate);
    }

    /** {@code {"jsonrpc":"2.0","method":method,"params":params}\n}; params omitted when {@code null}. */
    public byte[] notification(String method, Object params) {
        return encoder.encode(false, 0, method, params);
    }

    /** A result for the worker's request {@code id} ({@link RpcRequest#id()}); a {@code null} result is written as {@code null}. */
    public byte[] reply(Object id, Object result) {
        return encoder.encodeReply(id, result, 0, null);
    }

    /** An error reply to the worker's request {@code id}. */
    public byte[] errorReply(Object id, int code, String message) {
        return encoder.encodeReply(id, null, code, message);
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
                return new Envelope(RpcCodec.this, parser, types, true).read();
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
                return new Envelope(this, p, types, false).read();
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

    /** A reader of the result type, cached: one per type is built, not one per reply. */
    ObjectReader readerFor(JavaType type) {
        ObjectReader r = resultReaders.get(type);
        if (r == null) {
            r = resultReader.forType(type);
            if (resultReaders.size() < MAX_CACHED_READERS) {
                resultReaders.putIfAbsent(type, r);
            }
        }
        return r;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\r';
    }

    /**
     * The beginning of a line as text, for log and exception messages: at most {@code max}
     * characters, each control character but tab written as a {@code \}{@code uXXXX} escape. A line
     * that is not a protocol message can hold anything, and a raw escape sequence or carriage return
     * would act on the terminal that shows the log.
     */
    public static String excerpt(byte[] bytes, int offset, int length, int max) {
        String s = new String(bytes, offset, Math.min(length, max * 4), StandardCharsets.UTF_8);
        return visible(s.length() <= max && length <= max * 4 ? s : s.substring(0, Math.min(s.length(), max)) + "...");
    }

    private static String visible(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f);
            if (control && out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (control) {
                out.append(String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }
}
