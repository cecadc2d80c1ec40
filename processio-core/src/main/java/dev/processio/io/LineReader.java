package dev.processio.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Splits a byte stream into lines terminated by {@code \n}, on a thread of its own.
 *
 * <p>Lines are handed over as bytes; decoding is the sink's business, so a multi-byte UTF-8
 * character split across two reads is never cut. A line is never buffered beyond
 * {@code maxLineBytes}: a longer line is reported once through {@link Sink#tooLong} with its first
 * {@code maxLineBytes} bytes, and the rest of it, up to the next newline, is skipped.
 *
 * <p>All sink methods are called from the reader thread, in stream order. The bytes passed to
 * {@link Sink#line} are only valid during the call.
 */
public final class LineReader implements Runnable {

    /** Receives the lines of one stream. */
    public interface Sink {

        /** One complete line, without its {@code \n}. */
        void line(byte[] bytes, int offset, int length);

        /** A line grew past the limit; {@code bytes[offset, offset + length)} is its beginning. */
        void tooLong(byte[] bytes, int offset, int length);

        /** The stream ended ({@code error == null}) or could not be read. Called exactly once, last. */
        void end(IOException error);
    }

    private static final int READ_SIZE = 64 * 1024;

    private final InputStream in;
    private final int maxLineBytes;
    private final boolean deliverUnterminated;
    private final Sink sink;

    /**
     * @param maxLineBytes longest line delivered, newline excluded
     * @param deliverUnterminated whether a last line without {@code \n} at end of stream is delivered
     */
    public LineReader(InputStream in, int maxLineBytes, boolean deliverUnterminated, Sink sink) {
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be positive");
        }
        this.in = Objects.requireNonNull(in, "in");
        this.maxLineBytes = maxLineBytes;
        this.deliverUnterminated = deliverUnterminated;
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** Starts a daemon thread with the given name that reads until end of stream. */
    public Thread start(String threadName) {
        Thread t = new Thread(this, threadName);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    public void run() {
        byte[] chunk = new byte[READ_SIZE];
        byte[] pending = new byte[Math.min(maxLineBytes, 8192)];
        int pendingLength = 0;
        boolean skipping = false;
        IOException failure = null;
        try {
            int n;
            while ((n = in.read(chunk)) >= 0) {
                int pos = 0;
                while (pos < n) {
                    int newline = indexOfNewline(chunk, pos, n);
                    int end = newline < 0 ? n : newline;
                    int length = end - pos;
                    if (!skipping) {
                        if (pendingLength + length > maxLineBytes) {
                            int take = maxLineBytes - pendingLength;
                            pending = append(pending, pendingLength, chunk, pos, take);
                            sink.tooLong(pending, 0, maxLineBytes);
                            pendingLength = 0;
                            skipping = true;
                        } else if (newline >= 0 && pendingLength == 0) {
                            sink.line(chunk, pos, length);
                        } else {
                            pending = append(pending, pendingLength, chunk, pos, length);
                            pendingLength += length;
                            if (newline >= 0) {
                                sink.line(pending, 0, pendingLength);
                                pendingLength = 0;
                            }
                        }
                    }
                    if (newline >= 0) {
                        skipping = false;
                        pos = newline + 1;
                    } else {
                        pos = n;
                    }
                }
            }
            if (pendingLength > 0 && deliverUnterminated) {
                sink.line(pending, 0, pendingLength);
            }
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new IOException("the line sink failed", e);
        } finally {
            sink.end(failure);
        }
    }

    private static int indexOfNewline(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Appends, growing {@code target} geometrically; callers never let it pass maxLineBytes. */
    private byte[] append(byte[] target, int targetLength, byte[] source, int offset, int length) {
        int needed = targetLength + length;
        if (needed > target.length) {
            int size = (int) Math.min(maxLineBytes, Math.max(needed, 2L * target.length));
            target = Arrays.copyOf(target, size);
        }
        System.arraycopy(source, offset, target, targetLength, length);
        return target;
    }
}
