package dev.processio.io;

import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * How many lines of one worker reach the log: a token bucket that holds at most
 * {@code linesPerSecond} lines and refills at that rate, so a worker may log a burst of that many
 * lines at once and that many per second after it. A worker that writes faster, by accident or
 * because it was taken over, cannot flood the application's log or its disk; the lines beyond the
 * budget are dropped and counted, and the next line logged is preceded by one WARN line saying how
 * many were dropped.
 *
 * <p>Thread-safe: a worker's stderr thread and stdout thread (stray lines) share one; guarded by
 * {@code this}.
 */
public final class LogBudget {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final int linesPerSecond;
    private final LongSupplier nanoTime;
    private final IntConsumer onDrop;

    /** Lines that may be logged now, times {@link #NANOS_PER_SECOND}. Guarded by this. */
    private long credit;
    /** When {@link #credit} was last refilled. Guarded by this. */
    private long refilledAt;
    /** Lines dropped since the last report. Guarded by this. */
    private long unreported;

    /**
     * @param linesPerSecond the rate and the burst, at least 1
     * @param nanoTime the clock, {@link System#nanoTime} outside tests
     * @param onDrop told of each dropped line, outside the lock (a metric)
     */
    public LogBudget(int linesPerSecond, LongSupplier nanoTime, IntConsumer onDrop) {
        if (linesPerSecond < 1) {
            throw new IllegalArgumentException("linesPerSecond must be at least 1, was " + linesPerSecond);
        }
        this.linesPerSecond = linesPerSecond;
        this.nanoTime = nanoTime;
        this.onDrop = onDrop;
        this.credit = capacity();
        this.refilledAt = nanoTime.getAsLong();
    }

    /** A budget that never drops a line, for readers whose lines are few, and tests. */
    public static LogBudget unlimited() {
        return new LogBudget(Integer.MAX_VALUE, System::nanoTime, n -> { });
    }

    /** The rate, in lines per second. */
    public int linesPerSecond() {
        return linesPerSecond;
    }

    /**
     * Whether one line may be logged now, taking its budget; when it may, the lines dropped since
     * the last report are reported first, in one WARN line.
     *
     * @param who the start of the line, e.g. {@code [pool] worker 1 (pid 42): }
     */
    public boolean admit(Logger log, String who) {
        long dropped = take();
        if (dropped < 0) {
            return false;
        }
        reportDropped(log, who, dropped);
        return true;
    }

    /** Reports, in one WARN line, the lines dropped since the last report, if any: at the end of a stream. */
    public void reportUnreported(Logger log, String who) {
        reportDropped(log, who, takeUnreported());
    }

    /**
     * Takes the budget of one line.
     *
     * @return {@code -1} when the line is to be dropped (it has been counted); otherwise how many
     *         lines were dropped since the last report, which the caller reports before the line
     */
    long take() {
        long report;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            long elapsed = now - refilledAt;
            refilledAt = now;
            if (elapsed > 0) {
                // Saturate: after a long quiet spell the bucket is simply full.
                credit = elapsed >= NANOS_PER_SECOND ? capacity() : Math.min(capacity(), credit + elapsed * linesPerSecond);
            }
            if (credit < NANOS_PER_SECOND) {
                unreported++;
                report = -1;
            } else {
                credit -= NANOS_PER_SECOND;
                report = unreported;
                unreported = 0;
            }
        }
        if (report < 0) {
            onDrop.accept(1);
        }
        return report;
    }

    /** How many lines were dropped since the last report; they count as reported now. */
    synchronized long takeUnreported() {
        long n = unreported;
        unreported = 0;
        return n;
    }

    /** Logs at WARN that {@code dropped} lines of {@code who} were not logged, when there were any. */
    private void reportDropped(Logger log, String who, long dropped) {
        if (dropped > 0) {
            log.warn("{}{} lines of its stderr and stray stdout were not logged, above"
                    + " processio.worker.log-lines-per-second ({})", who, dropped, linesPerSecond);
        }
    }

    private long capacity() {
        return linesPerSecond * NANOS_PER_SECOND;
    }
}
