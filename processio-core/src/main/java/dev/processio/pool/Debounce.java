package dev.processio.pool;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Gathers the files of one change: an editor or a bundler writes a file in several steps, often
 * several files at once, and the module is reloaded once, when nothing has changed for
 * {@code quietNanos}. Times are on the pool's clock.
 *
 * <p>Not thread-safe: only used on the watch thread (and by tests).
 */
final class Debounce {

    private final long quietNanos;
    private final Set<String> files = new LinkedHashSet<>();
    private long lastChangeNanos;

    Debounce(long quietNanos) {
        this.quietNanos = quietNanos;
    }

    /** A file changed at {@code now}. */
    void changed(String file, long now) {
        files.add(file);
        lastChangeNanos = now;
    }

    boolean isPending() {
        return !files.isEmpty();
    }

    /** Nanoseconds until the change is due; 0 or less once due, {@link Long#MAX_VALUE} with nothing pending. */
    long remainingNanos(long now) {
        return files.isEmpty() ? Long.MAX_VALUE : quietNanos - (now - lastChangeNanos);
    }

    /** The files of a change that is due at {@code now}, in the order they changed first; empty if none is. */
    List<String> take(long now) {
        if (remainingNanos(now) > 0) {
            return List.of();
        }
        List<String> due = new ArrayList<>(files);
        files.clear();
        return due;
    }
}
