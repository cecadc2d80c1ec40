package dev.processio.protocol;

import java.io.OutputStream;
import java.util.Arrays;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;

/**
 * Writes request and notification frames: one JSON-RPC object on one line, params written with
 * the application's mapper, so its modules and settings apply.
 *
 * <p>Thread-safe.
 */
final class FrameEncoder {

    /** The application's mapper without indentation: a frame must stay on one line. */
    private final ObjectWriter writer;

    FrameEncoder(ObjectMapper mapper) {
        this.writer = mapper.writer().without(SerializationFeature.INDENT_OUTPUT);
    }

    /** One frame with its newline: the id only when {@code withId}, params omitted when {@code null}. */
    byte[] encode(boolean withId, long id, String method, Object params) {
        return encode(withId, id, method, params, null, null);
    }

    /**
     * As {@link #encode(boolean, long, String, Object)}, with the W3C trace context as top-level
     * members {@code traceparent} and {@code tracestate}, each omitted when {@code null}.
     */
    byte[] encode(boolean withId, long id, String method, Object params, String traceparent, String tracestate) {
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
            if (traceparent != null) {
                g.writeStringProperty("traceparent", traceparent);
            }
            if (tracestate != null) {
                g.writeStringProperty("tracestate", tracestate);
            }
            g.writeEndObject();
        }
        return out.frame();
    }

    /** A reply to a request of the worker: {@code result}, or an error when {@code errorMessage} is set. */
    byte[] encodeReply(Object id, Object result, int errorCode, String errorMessage) {
        FrameOutput out = new FrameOutput();
        try (JsonGenerator g = writer.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringProperty("jsonrpc", JsonRpc.VERSION);
            g.writeName("id");
            if (id instanceof Long n) {
                g.writeNumber(n);
            } else {
                g.writeString(String.valueOf(id));
            }
            if (errorMessage == null) {
                g.writeName("result");
                g.writePOJO(result);
            } else {
                g.writeName("error");
                g.writeStartObject();
                g.writeNumberProperty("code", errorCode);
                g.writeStringProperty("message", errorMessage);
                g.writeEndObject();
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
}
