package dev.processio.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the stderr lines of one worker: logs each through SLF4J (logger {@code dev.processio.worker},
 * level INFO) prefixed with the pool, slot and pid, with control characters and terminal escape
 * sequences removed, and keeps the last {@value #TAIL_CHARS} characters for error messages.
 *
 * <p>Thread-safe: lines arrive on the stderr reader thread; {@link #tail()} may be called from any thread.
 */
public final class StderrLog implements LineReader.Sink {

    /** How much of the stderr tail is kept, in characters. */
    public static final int TAIL_CHARS = 8192;

    /** Longest stderr line kept whole; longer lines are cut. */
    public static final int MAX_LINE_BYTES = 8192;

    private static final Logger LOG = LoggerFactory.getLogger("dev.processio.worker");

    private final String prefix;
    private final Runnable onEnd;
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
        this.prefix = "[" + pool + "] worker " + slot + " (pid " + pid + "): ";
        this.onEnd = onEnd;
    }

    @Override
    public void line(byte[] bytes, int offset, int length) {
        accept(clean(new String(bytes, offset, length, StandardCharsets.UTF_8)));
    }

    @Override
    public void tooLong(byte[] bytes, int offset, int length) {
        accept(clean(new String(bytes, offset, length, StandardCharsets.UTF_8)) + " [line cut]");
    }

    @Override
    public void end(IOException error) {
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

    private void accept(String line) {
        if (line.isBlank()) {
            return;
        }
        LOG.info("{}{}", prefix, line);
        synchronized (this) {
            lines.addLast(line);
            chars += line.length() + 1;
            while (chars > TAIL_CHARS && lines.size() > 1) {
                chars -= lines.removeFirst().length() + 1;
            }
        }
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
