package dev.processio.pool;

import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls waiting for a worker, oldest first, with their number kept beside them (a concurrent
 * deque counts itself in linear time). Bounded by {@code processio.pool.max-pending} for new
 * calls; a call that comes back from a worker (never sent, or retried) goes to the front without
 * counting against the bound, since it had a place already. Thread-safe and lock-free; the count
 * may run ahead of the deque for a moment, never behind it.
 */
final class PendingCalls implements Iterable<PoolCall> {

    private final ConcurrentLinkedDeque<PoolCall> calls = new ConcurrentLinkedDeque<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int max;

    PendingCalls(int max) {
        this.max = max;
    }

    /** Queues a new call at the back; false when {@code max} calls wait already. */
    boolean offer(PoolCall call) {
        if (size.incrementAndGet() > max) {
            size.decrementAndGet();
            return false;
        }
        calls.addLast(call);
        return true;
    }

    /** Puts a call that came back from a worker at the front. */
    void putBack(PoolCall call) {
        size.incrementAndGet();
        calls.addFirst(call);
    }

    /** The oldest call, removed; {@code null} when none waits. */
    PoolCall poll() {
        PoolCall call = calls.pollFirst();
        if (call != null) {
            size.decrementAndGet();
        }
        return call;
    }

    /** Removes {@code call}; returns whether it was waiting. */
    boolean remove(PoolCall call) {
        if (calls.remove(call)) {
            size.decrementAndGet();
            return true;
        }
        return false;
    }

    int size() {
        return Math.max(0, size.get());
    }

    boolean isEmpty() {
        return size.get() <= 0;
    }

    /** A weakly consistent view, for the deadline sweep. */
    @Override
    public Iterator<PoolCall> iterator() {
        return calls.iterator();
    }
}
