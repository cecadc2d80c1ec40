package dev.processio.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A nanosecond clock that moves only when a test says so, for the pool's housekeeping and
 * deadlines. It starts half an hour before {@code long} wraps around, so that every comparison of
 * times the pool makes must be the overflow-safe subtraction that {@link System#nanoTime()} asks for.
 */
public final class FakeClock implements LongSupplier {

    private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - Duration.ofMinutes(30).toNanos());

    @Override
    public long getAsLong() {
        return now.get();
    }

    /** Moves the clock forward. */
    public void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }
}
