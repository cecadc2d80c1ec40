package dev.processio;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * What a call does with the progress values its handler reports: the type each value is read into,
 * the listener, and the executor the listener runs on. Made by
 * {@link CallOptions#withProgress(Class, Consumer)}; immutable and thread-safe.
 *
 * <p>A listener runs off the worker's stdout thread: on a thread of the pool
 * ({@code processio-<pool>-progress-<n>}), or on the application's {@link #executor()} when one is
 * given. It hears a call's values in the order the worker sent them, one at a time, and never after
 * the call's future has completed. Up to {@code processio.call.max-progress-buffer} values wait for
 * it; past that bound the oldest are dropped and counted ({@code processio.progress.dropped}). A
 * listener that throws is logged, and hears the next value all the same; a value that cannot be
 * read into {@link #type()} is logged and skipped.
 *
 * @param <P> what the values are read into
 */
public final class ProgressListener<P> {

    private final Class<P> type;
    private final Consumer<? super P> listener;
    private final Executor executor;

    ProgressListener(Class<P> type, Consumer<? super P> listener, Executor executor) {
        this.type = Objects.requireNonNull(type, "type");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.executor = executor;
    }

    /** What each value is read into, with the bridge's Jackson mapper. */
    public Class<P> type() {
        return type;
    }

    /** The listener. */
    public Consumer<? super P> listener() {
        return listener;
    }

    /** The application's executor that the listener runs on, or {@code null} for the pool's own threads. */
    public Executor executor() {
        return executor;
    }

    @Override
    public String toString() {
        return "ProgressListener[" + type.getName() + (executor == null ? "" : ", on " + executor) + "]";
    }
}
