package dev.processio.pool;

import dev.processio.BridgeStartupException;
import dev.processio.NodeBridgeOptions;
import dev.processio.RestartCause;
import dev.processio.WorkerState;
import dev.processio.metrics.MetricsTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces workers gracefully: a replacement starts first; once it is ready it takes the slot, and
 * the old worker finishes the calls it holds and exits. No call fails because of it.
 *
 * <p>The limits ({@code processio.recycle.max-requests}, {@code max-age}, {@code max-memory}) are
 * caps: a worker that reaches one takes no new call from that moment ({@link WorkerEntry#cap()}),
 * and calls go to the other workers or wait for the replacement. A manual recycle or rolling
 * restart lets the old worker serve until its replacement is ready. If a replacement fails to
 * start, the old worker serves on; one that reached a limit gets a fresh allowance of calls. A
 * reload for {@code processio.dev.watch} is the same rolling restart, stopped at the first
 * replacement that fails to start.
 *
 * <p>Slot changes happen under the lifecycle lock ({@link Supervisor#lock}); {@code
 * memoryCheckUnsupported} is only used on the housekeeper.
 */
final class Recycler {

    private static final Logger LOG = LoggerFactory.getLogger(Recycler.class);

    private final String name;
    private final NodeBridgeOptions options;
    private final Slot[] slots;
    private final Supervisor supervisor;
    private final Dispatcher dispatcher;
    private final MetricsTracker metrics;
    private final Housekeeper housekeeper;
    private boolean memoryCheckUnsupported;

    Recycler(NodeBridgeOptions options, Slot[] slots, Supervisor supervisor, Dispatcher dispatcher,
            MetricsTracker metrics, Housekeeper housekeeper) {
        this.name = options.name();
        this.options = options;
        this.slots = slots;
        this.supervisor = supervisor;
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.housekeeper = housekeeper;
    }

    /** {@code e} was given its last call under {@code processio.recycle.max-requests}; on the thread that gave it. */
    void capReached(WorkerEntry e) {
        LOG.info("[{}] recycling {}: it was given {} calls (processio.recycle.max-requests)", name, e.label(),
                e.maxCalls);
        housekeeper.execute(() -> recycle(e, RestartCause.RECYCLE));
    }

    /** Recycles {@code e} if it reached {@code max-age} or {@code max-memory} at {@code now}. On the housekeeper. */
    void checkLimits(WorkerEntry e, long now) {
        if (e.isCapped()) {
            return;
        }
        String why = null;
        if (!options.recycleMaxAge().isZero()
                && now - e.startedNanos >= Housekeeper.saturatedNanos(options.recycleMaxAge())) {
            why = "it reached processio.recycle.max-age (" + options.recycleMaxAge() + ")";
        } else if (options.recycleMaxMemory() > 0) {
            long rss = residentMemory(e.worker.pid());
            if (rss > options.recycleMaxMemory()) {
                why = "its resident memory, " + rss + " bytes, is above processio.recycle.max-memory ("
                        + options.recycleMaxMemory() + " bytes)";
            }
        }
        if (why != null && e.cap()) {
            LOG.info("[{}] recycling {}: {}", name, e.label(), why);
            recycle(e, RestartCause.RECYCLE);
        }
    }

    /** Recycles the worker in one slot (numbered from 1). Completes when its replacement serves. */
    CompletableFuture<Void> recycle(int slotNumber) {
        if (slotNumber < 1 || slotNumber > slots.length) {
            throw new IllegalArgumentException("no slot " + slotNumber + "; slots are 1.." + slots.length);
        }
        WorkerEntry e = slots[slotNumber - 1].active;
        if (e == null || e.state() != WorkerState.READY) {
            return CompletableFuture.completedFuture(null);
        }
        return recycle(e, RestartCause.MANUAL);
    }

    /** Recycles every worker, one slot after the other; a replacement that fails to start is skipped. */
    CompletableFuture<Void> restart() {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (Slot slot : slots) {
            chain = chain.thenCompose(v -> recycle(slot.number).exceptionally(e -> null));
        }
        return chain;
    }

    /**
     * Recycles every worker, one slot after the other, for a module that changed
     * ({@code processio.dev.watch}). The first replacement is the probe: when it fails to start,
     * the restart stops there, every old worker serves on, and the future fails with its error.
     * Once the probe has served, the module loads: a later replacement that fails (a start-up
     * timeout under load) leaves its slot on the old module, the others go on, and the future
     * fails with {@link PartlyReloaded}, which names those slots.
     */
    CompletableFuture<Void> reload() {
        List<String> kept = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = 0; i < slots.length; i++) {
            Slot slot = slots[i];
            boolean probe = i == 0;
            chain = chain.thenCompose(v -> {
                CompletableFuture<Void> step = whenPlaced(slot).thenCompose(w -> recycle(slot.number));
                return probe ? step : step.exceptionally(e -> {
                    kept.add("worker " + slot.number + ": " + ModuleWatch.loadError(e));
                    return null;
                });
            });
        }
        return chain.thenRun(() -> {
            if (!kept.isEmpty()) {
                throw new PartlyReloaded(kept);
            }
        });
    }

    /** A reload whose probe served but in which some slots kept the old module. */
    static final class PartlyReloaded extends RuntimeException {

        PartlyReloaded(List<String> kept) {
            super(String.join("; ", kept));
        }
    }

    /**
     * Completes once the slot's worker, if it is starting, is placed, and once a recycle of the slot
     * that is under way has ended: a worker that was starting when the module changed may have read
     * it before the change, so a reload waits for it and replaces it too. How it started, or how
     * that recycle ended, does not matter here.
     */
    private CompletableFuture<Void> whenPlaced(Slot slot) {
        WorkerEntry incoming;
        WorkerEntry e;
        supervisor.lock.lock();
        try {
            incoming = slot.incoming;
            e = slot.active;
        } finally {
            supervisor.lock.unlock();
        }
        CompletableFuture<Worker> starting = incoming != null ? incoming.placed
                : e != null && e.state() == WorkerState.STARTING ? e.placed : null;
        return starting == null ? CompletableFuture.completedFuture(null) : starting.handle((ok, error) -> null);
    }

    private CompletableFuture<Void> recycle(WorkerEntry old, RestartCause cause) {
        Slot slot = old.slot;
        WorkerEntry replacement;
        supervisor.lock.lock();
        try {
            if (supervisor.isClosed() || slot.active != old || old.state() != WorkerState.READY || old.recycling
                    || slot.isQuarantined() || slot.incoming != null) {
                return CompletableFuture.completedFuture(null);
            }
            try {
                replacement = supervisor.launchLocked(slot);
            } catch (BridgeStartupException e) {
                replacementFailedLocked(old, e);
                return CompletableFuture.failedFuture(e);
            }
            if (replacement == null) {
                return CompletableFuture.completedFuture(null);
            }
            old.recycling = true;
            slot.incoming = replacement;
            // Completes once this recycle has ended either way, for a reload that finds it under way.
            replacement.placed = new CompletableFuture<>();
        } finally {
            supervisor.lock.unlock();
        }
        return replacement.worker.ready().handle((ok, error) -> {
            try {
                return settle(slot, old, replacement, cause, error);
            } finally {
                replacement.placed.complete(replacement.worker);
            }
        });
    }

    /** How a recycle ends: the replacement takes the old worker's place, or the old one serves on. */
    private Void settle(Slot slot, WorkerEntry old, WorkerEntry replacement, RestartCause cause, Throwable error) {
        if (error != null) {
            supervisor.lock.lock();
            try {
                if (slot.incoming == replacement) {
                    slot.incoming = null;
                    old.recycling = false;
                    replacementFailedLocked(old, error);
                }
            } finally {
                supervisor.lock.unlock();
            }
            dispatcher.drain();
            throw new CompletionException(error);
        }
        if (swap(slot, old, replacement, cause)) {
            supervisor.drainAndStop(old);
        }
        dispatcher.drain();
        // As for any worker that becomes ready (Supervisor.becameReady).
        replacement.worker.rememberDescendants();
        return null;
    }

    /** Puts a ready replacement in the old worker's place; false when something changed meanwhile. */
    private boolean swap(Slot slot, WorkerEntry old, WorkerEntry replacement, RestartCause cause) {
        supervisor.lock.lock();
        try {
            if (slot.incoming != replacement) {
                // The slot was quarantined meanwhile, which killed the replacement.
                return false;
            }
            slot.incoming = null;
            if (supervisor.isClosed() || slot.active != old || slot.isQuarantined()
                    || !replacement.worker.isAlive()
                    || !replacement.transition(WorkerState.STARTING, WorkerState.READY)) {
                // Its process is stopped; the pool does not hold it any more.
                replacement.worker.kill();
                old.recycling = false;
                replacementFailedLocked(old, new IllegalStateException(replacement.label()
                        + " was ready but could not take over"));
                return false;
            }
            slot.active = replacement;
            slot.retiring.add(old);
            old.moveTo(WorkerState.DRAINING);
            slot.recycled(cause);
            metrics.workerRestarted(slot.number, cause);
            return true;
        } finally {
            supervisor.lock.unlock();
        }
    }

    /**
     * A replacement did not start, and the old worker is still the slot's: it serves on. Only now,
     * with the lock held and the slot checked, is the failure recorded, so that it never hides a
     * fault of the slot's own worker.
     */
    private void replacementFailedLocked(WorkerEntry old, Throwable error) {
        assert supervisor.lock.isHeldByCurrentThread();
        if (old.slot.active != old || old.slot.isQuarantined()) {
            return;
        }
        old.uncap();
        String text = "replacement for recycling failed to start: " + error.getMessage();
        old.slot.noteError(text);
        LOG.warn("[{}] {}; {} keeps serving", name, text, old.label());
    }

    /** Resident memory of a process from /proc, in bytes; 0 where /proc is not there. */
    private long residentMemory(long pid) {
        if (memoryCheckUnsupported) {
            return 0;
        }
        try {
            return WorkerLimits.residentBytes(pid);
        } catch (IOException e) {
            if (!Files.isDirectory(Path.of("/proc/self"))) {
                memoryCheckUnsupported = true;
                LOG.warn("[{}] processio.recycle.max-memory is set, but this system has no /proc; the memory"
                        + " limit is ignored", name);
            }
            return 0;
        }
    }
}
