package dev.processio.pool;

import dev.processio.metrics.MetricsTracker;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * What the {@link ProgressRelay}s of one pool share: the bound of their buffers, the drop counter,
 * the application's mapper that reads values, and the pool's progress threads.
 *
 * <p>The threads ({@code processio-<pool>-progress-<n>}, daemons) are made on first use, so that a
 * pool whose calls report no progress has none; each runs the drain task of one call at a time, and
 * a thread idle for {@value #KEEP_ALIVE_SECONDS} s ends. There is no queue in front of them: a call
 * whose listener blocks holds one thread, and never delays another call's values. Their number is
 * therefore bounded by the calls that have values waiting at the same moment, which the pool's
 * limits on calls in flight bound in turn.
 *
 * <p>Thread-safe: the executor is made and shut down under {@code this}.
 */
final class ProgressDelivery {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressDelivery.class);

    static final long KEEP_ALIVE_SECONDS = 10;

    /** How long {@link #close()} waits for listeners that still run. */
    private static final long CLOSE_WAIT_MILLIS = 2000;

    private final String pool;
    private final int bound;
    private final MetricsTracker metrics;
    private final ObjectMapper mapper;
    private final AtomicInteger threads = new AtomicInteger();
    /** Guarded by this; {@code null} until first used. */
    private ThreadPoolExecutor executor;
    /** Guarded by this. */
    private boolean closed;

    ProgressDelivery(String pool, int bound, MetricsTracker metrics, ObjectMapper mapper) {
        this.pool = pool;
        this.bound = bound;
        this.metrics = metrics;
        this.mapper = mapper;
    }

    String pool() {
        return pool;
    }

    /** {@code processio.call.max-progress-buffer}. */
    int bound() {
        return bound;
    }

    /** One value was pushed out of a full buffer. */
    void dropped() {
        metrics.progressDropped(1);
    }

    /** Reads a value into the listener's type, with the application's mapper. */
    Object read(JsonNode value, JavaType type) {
        if (JsonNode.class.isAssignableFrom(type.getRawClass()) && type.getRawClass().isInstance(value)) {
            return value;
        }
        return mapper.treeToValue(value, type);
    }

    JavaType type(Class<?> type) {
        return mapper.constructType(type);
    }

    /**
     * Runs a drain task on the application's executor when there is one, else on the pool's threads.
     * An executor that refuses it leaves it to the pool's threads; once the pool is closed the task
     * runs on the calling thread, so that every call's end is still given.
     */
    void execute(Executor preferred, Runnable task) {
        if (preferred != null) {
            try {
                preferred.execute(task);
                return;
            } catch (RejectedExecutionException refused) {
                LOG.warn("[{}] the application's executor refused to run a progress listener; it runs on the"
                        + " pool's threads", pool);
            }
        }
        Executor own = own();
        if (own != null) {
            try {
                own.execute(task);
                return;
            } catch (RejectedExecutionException closedMeanwhile) {
                // Closed between own() and execute(): as below.
            }
        }
        task.run();
    }

    /** The pool's threads, made on first use; {@code null} once closed. */
    private synchronized Executor own() {
        if (closed) {
            return null;
        }
        if (executor == null) {
            executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                    new SynchronousQueue<>(), task -> {
                        Thread t = new Thread(task, "processio-" + pool + "-progress-" + threads.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
        }
        return executor;
    }

    /**
     * Lets the drains in progress finish, for a bounded time, and stops the threads. Called by the
     * pool's close, after every call has ended; a later task runs on the thread that schedules it.
     */
    void close() {
        ThreadPoolExecutor e;
        synchronized (this) {
            closed = true;
            e = executor;
        }
        if (e == null) {
            return;
        }
        e.shutdown();
        try {
            if (!e.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("[{}] {} progress listener(s) still run {} ms after the pool closed; their threads are"
                        + " left to end by themselves", pool, e.getActiveCount(), CLOSE_WAIT_MILLIS);
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
