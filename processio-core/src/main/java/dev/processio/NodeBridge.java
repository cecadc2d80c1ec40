package dev.processio;

import dev.processio.pool.Pool;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JavaType;

/**
 * Calls functions in a pool of long-lived worker processes.
 *
 * <pre>{@code
 * try (NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder()
 *         .module(Path.of("js/text.mjs"))
 *         .build())) {
 *     String slug = bridge.call("slugify", "Hello World", String.class);
 * }
 * }</pre>
 *
 * <h2>Calls</h2>
 * A call is encoded once on the caller's thread, goes to the ready worker with the fewest calls in
 * flight, and ends exactly once: with the result mapped to the requested type, or with a
 * {@link BridgeException}. Params and results are mapped with the options' Jackson mapper. A call
 * whose request never reached its worker (the worker died first) goes to another worker on its
 * own; a call marked {@linkplain CallOptions#idempotent() idempotent} is also retried once when
 * the worker was lost after receiving it.
 *
 * <h2>Threads</h2>
 * Thread-safe. The result is read into the requested type straight from the reply line, once, on
 * the worker's stdout thread; custom deserializers run there. The future of {@code callAsync}
 * completes on one of these threads:
 * <ul>
 *   <li>the calling thread, when the call is refused at once (the bridge is closed, no worker is
 *       healthy, the pending queue or a stdin queue is full), or when it wrote the frame itself
 *       and the write failed;</li>
 *   <li>the worker's stdout thread, {@code processio-<pool>-w<slot>-stdout}: replies;</li>
 *   <li>its stdin writer thread, {@code ...-stdin}: a write that failed;</li>
 *   <li>its stderr thread, {@code ...-stderr}, or the pool's housekeeper,
 *       {@code processio-<pool>-housekeeper}: the worker exited;</li>
 *   <li>the housekeeper: timeouts, and waiting calls failed when the last healthy worker goes;</li>
 *   <li>the thread that calls {@link #close()};</li>
 *   <li>for a call with a {@linkplain CallOptions#withProgress progress listener} whose values were
 *       still being delivered when it ended: the thread that delivered the last of them, after it.</li>
 * </ul>
 * Keep dependent stages short and never block in them, or use the {@code ...Async} stages of
 * {@link CompletableFuture} with an executor of your own. Never call {@code close()} from one.
 */
public final class NodeBridge implements AutoCloseable {

    private final Pool pool;

    private NodeBridge(Pool pool) {
        this.pool = pool;
    }

    /**
     * Starts the pool and returns once its {@code min-workers} workers are ready.
     *
     * @throws BridgeStartupException when a worker cannot be started; nothing is left running
     */
    public static NodeBridge start(NodeBridgeOptions options) {
        return new NodeBridge(Pool.start(options));
    }

    /** As {@link #start(NodeBridgeOptions)}, with the clock housekeeping and deadlines read: for tests. */
    static NodeBridge start(NodeBridgeOptions options, LongSupplier nanoClock) {
        return new NodeBridge(Pool.start(options, nanoClock));
    }

    /** The pool name. */
    public String name() {
        return pool.name();
    }

    public <T> T call(String method, Object params, Class<T> type) {
        return call(method, params, type, CallOptions.DEFAULTS);
    }

    public <T> T call(String method, Object params, Class<T> type, CallOptions options) {
        return await(method, submit(method, params, pool.mapper().constructType(type), options));
    }

    public <T> T call(String method, Object params, TypeReference<T> type) {
        return call(method, params, type, CallOptions.DEFAULTS);
    }

    public <T> T call(String method, Object params, TypeReference<T> type, CallOptions options) {
        return await(method, submit(method, params, pool.mapper().constructType(type), options));
    }

    public <T> CompletableFuture<T> callAsync(String method, Object params, Class<T> type) {
        return callAsync(method, params, type, CallOptions.DEFAULTS);
    }

    public <T> CompletableFuture<T> callAsync(String method, Object params, Class<T> type, CallOptions options) {
        return submit(method, params, pool.mapper().constructType(type), options);
    }

    public <T> CompletableFuture<T> callAsync(String method, Object params, TypeReference<T> type) {
        return callAsync(method, params, type, CallOptions.DEFAULTS);
    }

    public <T> CompletableFuture<T> callAsync(String method, Object params, TypeReference<T> type,
            CallOptions options) {
        return submit(method, params, pool.mapper().constructType(type), options);
    }

    // ---- progress -----------------------------------------------------------------------------

    /**
     * A call's progress values as a {@link java.util.concurrent.Flow.Publisher}: each subscription
     * makes the call {@code method(params)} once its {@code onSubscribe} has returned, and gets each
     * value the handler reports, read into {@code itemType}, as {@code onNext}; then
     * {@code onComplete} when the call succeeds (its result is not published), or {@code onError}
     * with the call's {@link BridgeException}. Demand is honoured: values beyond it wait, within
     * {@code processio.call.max-progress-buffer}, the oldest dropped past it. Cancelling the
     * subscription cancels the call's future. Signals come on the pool's progress threads,
     * {@code processio-<pool>-progress-<n>}, one at a time. Reactor's {@code JdkFlowAdapter} adapts it.
     */
    public <T> java.util.concurrent.Flow.Publisher<T> stream(String method, Object params, Class<T> itemType) {
        return stream(method, params, itemType, CallOptions.DEFAULTS);
    }

    /**
     * As {@link #stream(String, Object, Class)}, with a timeout or idempotence; the options must not
     * have a progress listener of their own.
     */
    public <T> java.util.concurrent.Flow.Publisher<T> stream(String method, Object params, Class<T> itemType,
            CallOptions options) {
        return pool.stream(method, params, pool.mapper().constructType(itemType), options);
    }

    /** The pool reads the result into {@code type}, so the future's value is a {@code T}. */
    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> submit(String method, Object params, JavaType type, CallOptions options) {
        return (CompletableFuture<T>) (CompletableFuture<?>) pool.submit(method, params, type, options);
    }

    private <T> T await(String method, CompletableFuture<T> pending) {
        try {
            return pending.get();
        } catch (InterruptedException e) {
            // Cancelled as by the caller: out of the queue, or the worker is told and stays alive.
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new BridgeException(pool.name(), "interrupted while waiting for call '" + method
                    + "'; the call is cancelled", e);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    private static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new CompletionException(cause);
    }

    /** The pool at this moment: every worker's state and counters, and pool totals. */
    public PoolSnapshot snapshot() {
        return pool.snapshot();
    }

    /**
     * Recycles the worker in one slot (numbered from 1): a replacement starts, takes over once it is
     * ready, and the old worker finishes its calls and exits. No call fails because of it.
     *
     * @return completes when the replacement serves (at once when the slot has no ready worker)
     */
    public CompletableFuture<Void> recycle(int slot) {
        return pool.recycle(slot);
    }

    /** A rolling restart: recycles every worker, one slot after another. */
    public CompletableFuture<Void> restart() {
        return pool.restart();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return pool.isClosed();
    }

    /**
     * Closes the bridge: new calls fail with {@link BridgeDisposedException}, calls in flight get
     * {@code shutdown.grace-period} to finish, then each worker's stdin is closed, then SIGTERM, then
     * SIGKILL after {@code shutdown.kill-timeout}. Returns when every worker process has exited and
     * every thread of the pool has stopped. Idempotent.
     */
    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "NodeBridge[" + pool.name() + "]";
    }
}
