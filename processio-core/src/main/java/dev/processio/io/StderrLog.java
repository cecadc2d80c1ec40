package dev.processio.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.spi.MDCAdapter;

/**
 * Takes the stderr lines of one worker: logs each through SLF4J (logger {@code dev.processio.worker},
 * level INFO) prefixed with the pool, slot and pid, with control characters and terminal escape
 * sequences removed, and keeps the last {@value #TAIL_CHARS} characters for error messages.
 *
 * <h2>Per-call lines</h2>
 * A line that a handler wrote starts with the tag {@code US 'c' <id> US} (US is {@code 0x1f}; see
 * {@code docs/protocol.md}, "Per-call logs"). The tag is taken off, and the line is logged with the
 * MDC keys {@value #MDC_CALL} (the id), and, when the {@link CallLookup} knows the call,
 * {@value #MDC_METHOD}, {@value #MDC_TRACE_ID} and {@value #MDC_SPAN_ID} (from its traceparent),
 * set on the stderr thread for that one line. Lines without a tag are logged without MDC. The
 * tail never holds a tag.
 *
 * <h2>Volume</h2>
 * A worker may write faster than a log should take. Lines beyond its {@link LogBudget} (shared with
 * its stray stdout lines, {@code processio.worker.log-lines-per-second}) are not logged, only
 * counted, and the next line that is logged is preceded by a WARN line saying how many were
 * dropped; so is the end of the stream. The tail keeps every line.
 *
 * <p>Thread-safe: lines arrive on the stderr reader thread; {@link #tail()} may be called from any thread.
 */
public final class StderrLog implements LineReader.Sink {

    /** MDC key of a handler's line: the request id of its call, in decimal. */
    public static final String MDC_CALL = "processio.call";

    /** MDC key of a handler's line: the method of its call. */
    public static final String MDC_METHOD = "processio.method";

    /** MDC key of a handler's line: the trace id of the traceparent its call was sent with. */
    public static final String MDC_TRACE_ID = "traceId";

    /** MDC key of a handler's line: the span id of the traceparent its call was sent with. */
    public static final String MDC_SPAN_ID = "spanId";

    /** The byte around a call tag: ASCII unit separator, which nobody types and terminals do not show. */
    static final byte TAG_MARK = 0x1f;

    /** The kind of a call tag, after its first mark. */
    static final byte TAG_CALL = 'c';

    /** What a line without a call tag is given as its call. */
    private static final long NO_CALL = -1;

    /** How much of the stderr tail is kept, in characters. */
    public static final int TAIL_CHARS = 8192;

    /** Longest stderr line kept whole; longer lines are cut. */
    public static final int MAX_LINE_BYTES = 8192;

    private final String prefix;
    private final CallLookup calls;
    private final Logger log;
    private final MDCAdapter mdc;
    private final Runnable onEnd;
    private final LogBudget budget;
    private final ArrayDeque<String> lines = new ArrayDeque<>(); // guarded by this
    private int chars; // guarded by this
    private volatile boolean ended;

    /**
     * @param pool pool name
     * @param slot worker slot
     * @param pid worker pid
     * @param onEnd run once the stream has ended
     */
    public StderrLog(String pool, int slot, long pid, Runnable onEnd) {
        this(pool, slot, pid, CallLookup.NONE, LogBudget.unlimited(), onEnd);
    }

    /**
     * @param pool pool name
     * @param slot worker slot
     * @param pid worker pid
     * @param calls what the host knows of the calls that tagged lines name
     * @param budget how many lines may be logged, shared with the worker's stray stdout lines
     * @param onEnd run once the stream has ended
     */
    public StderrLog(String pool, int slot, long pid, CallLookup calls, LogBudget budget, Runnable onEnd) {
        this(pool, slot, pid, calls, budget, onEnd, LoggerFactory.getLogger("dev.processio.worker"),
                MDC.getMDCAdapter());
    }

    /**
     * With the logger and the MDC the lines go to: for tests, which read that MDC as each line is
     * logged, whatever the logging backend of the test class path does with MDC.
     */
    StderrLog(String pool, int slot, long pid, CallLookup calls, LogBudget budget, Runnable onEnd, Logger log,
            MDCAdapter mdc) {
        this.prefix = "[" + pool + "] worker " + slot + " (pid " + pid + "): ";
        this.calls = calls;
        this.budget = budget;
        this.onEnd = onEnd;
        this.log = log;
        this.mdc = mdc;
    }

    @Override
    public void line(byte[] bytes, int offset, int length) {
        int text = textStart(bytes, offset, length);
        long call = text == offset ? NO_CALL : callId(bytes, offset, text);
        accept(clean(new String(bytes, text, offset + length - text, StandardCharsets.UTF_8)), call);
    }

    @Override
    public void tooLong(byte[] bytes, int offset, int length) {
        int text = textStart(bytes, offset, length);
        long call = text == offset ? NO_CALL : callId(bytes, offset, text);
        accept(clean(new String(bytes, text, offset + length - text, StandardCharsets.UTF_8)) + " [line cut]", call);
    }

    @Override
    public void end(IOException error) {
        budget.reportUnreported(log, prefix);
        ended = true;
        onEnd.run();
    }

    /** Whether stderr has reached end of file. */
    public boolean ended() {
        return ended;
    }

    /** The last lines written to stderr, joined with {@code \n}; at most about {@value #TAIL_CHARS} characters. */
    public synchronized String tail() {
        return String.join("\n", lines);
    }

    private void accept(String line, long call) {
        if (line.isBlank()) {
            return;
        }
        if (budget.admit(log, prefix)) {
            if (call == NO_CALL) {
                log.info("{}{}", prefix, line);
            } else {
                logForCall(line, call);
            }
        }
        // The tail keeps every line, logged or not: it is bounded, and a crash's message needs the last ones.
        synchronized (this) {
            lines.addLast(line);
            chars += line.length() + 1;
            while (chars > TAIL_CHARS && lines.size() > 1) {
                chars -= lines.removeFirst().length() + 1;
            }
        }
    }

    private void logForCall(String line, long id) {
        CallLookup.Call call = calls.find(id);
        mdc.put(MDC_CALL, Long.toString(id));
        try {
            if (call != null) {
                if (call.method() != null) {
                    mdc.put(MDC_METHOD, call.method());
                }
                String traceparent = call.traceparent();
                if (isTraceparent(traceparent)) {
                    mdc.put(MDC_TRACE_ID, traceparent.substring(3, 35));
                    mdc.put(MDC_SPAN_ID, traceparent.substring(36, 52));
                }
            }
            log.info("{}{}", prefix, line);
        } finally {
            mdc.remove(MDC_CALL);
            mdc.remove(MDC_METHOD);
            mdc.remove(MDC_TRACE_ID);
            mdc.remove(MDC_SPAN_ID);
        }
    }

    /**
     * Where the text of a line starts: after its call tag, {@code US 'c' <decimal id> US}, or at
     * {@code offset} when it has none (a line that only looks like a tag's start is all text).
     */
    static int textStart(byte[] bytes, int offset, int length) {
        if (length < 4 || bytes[offset] != TAG_MARK || bytes[offset + 1] != TAG_CALL) {
            return offset;
        }
        int end = offset + Math.min(length, 2 + 18 + 1); // 18 digits: no overflow of a long
        for (int i = offset + 2; i < end; i++) {
            byte b = bytes[i];
            if (b == TAG_MARK) {
                return i > offset + 2 ? i + 1 : offset;
            }
            if (b < '0' || b > '9') {
                return offset;
            }
        }
        return offset;
    }

    /** The id in the tag of a line whose text starts at {@code text} (see {@link #textStart}). */
    private static long callId(byte[] bytes, int offset, int text) {
        long id = 0;
        for (int i = offset + 2; i < text - 1; i++) {
            id = id * 10 + (bytes[i] - '0');
        }
        return id;
    }

    /**
     * Whether {@code s} has the form of a W3C traceparent, {@code vv-<32 hex>-<16 hex>-ff}: the
     * first 55 characters of a later version have it too. The ids are not checked for being zero.
     */
    static boolean isTraceparent(String s) {
        if (s == null || s.length() < 55 || (s.length() > 55 && s.charAt(55) != '-')) {
            return false;
        }
        for (int i = 0; i < 55; i++) {
            char c = s.charAt(i);
            boolean ok = i == 2 || i == 35 || i == 52 ? c == '-' : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            if (!ok) {
                return false;
            }
        }
        return !s.startsWith("ff");
    }

    /** Removes ANSI escape sequences and control characters other than tab. */
    static String clean(String s) {
        StringBuilder out = null;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean control = (c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c < 0xa0);
            if (!control) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(n).append(s, 0, i);
            }
            if (c == 0x1b && i + 1 < n && s.charAt(i + 1) == '[') {
                // CSI sequence: ESC [ parameters final-byte (0x40..0x7e)
                int j = i + 2;
                while (j < n && (s.charAt(j) < 0x40 || s.charAt(j) > 0x7e)) {
                    j++;
                }
                i = j;
            }
        }
        return out == null ? s : out.toString();
    }
}
