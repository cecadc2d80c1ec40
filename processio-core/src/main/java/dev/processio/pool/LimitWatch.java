package dev.processio.pool;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces the limits of a worker's whole process tree that no rlimit can: {@code
 * processio.worker.limits.memory} (the sum of the tree's resident memory) and {@code
 * processio.worker.limits.processes} (the number of processes in it). Every {@value #CHECK_MILLIS}
 * ms it reads {@code /proc/<pid>/status} of each process of each live worker's tree, as far as the
 * worker knows it ({@link Worker#knownTree()}); every {@value #RESCAN_CHECKS}th check it first looks
 * for new descendants, which costs a scan of {@code /proc} per worker (see {@link ProcessTree}). A
 * tree over a limit is SIGKILLed at once as a fault of its worker ({@link WorkerFault.Kind#LIMIT}):
 * its calls fail with {@code WorkerLostException}, and its slot is quarantined and refilled as
 * after a crash.
 *
 * <p>Overshoot: a tree can grow for one interval between two checks, and a child it starts may go
 * unseen for up to {@value #RESCAN_CHECKS} intervals. Memory is read, not reserved: nothing stops
 * an allocation, so the kill comes after the tree has passed the limit.
 *
 * <p>Runs on the housekeeper thread, which owns {@code checks}; it only reads the slots.
 */
final class LimitWatch {

    private static final Logger LOG = LoggerFactory.getLogger(LimitWatch.class);

    /** How often the trees are measured. */
    static final long CHECK_MILLIS = 20;
    /** Every how many checks new descendants are looked for: every 500 ms. */
    static final int RESCAN_CHECKS = 25;

    private final String name;
    private final WorkerLimits limits;
    private final Slot[] slots;
    private long checks;

    LimitWatch(String name, WorkerLimits limits, Slot[] slots) {
        this.name = name;
        this.limits = limits;
        this.slots = slots;
    }

    /** Starts the checks on the housekeeper's thread; they end when it shuts down. */
    void start(Housekeeper housekeeper) {
        housekeeper.executor().scheduleWithFixedDelay(this::check, CHECK_MILLIS, CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            boolean rescan = checks++ % RESCAN_CHECKS == 0;
            for (Slot slot : slots) {
                for (WorkerEntry e : slot.entries()) {
                    Worker w = e.worker;
                    if (w.isAlive() && w.fault() == null) {
                        check(w, rescan);
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.error("[{}] worker limit check failed", name, e);
        }
    }

    private void check(Worker w, boolean rescan) {
        if (rescan) {
            w.rememberDescendants();
        }
        List<ProcessHandle> tree = w.knownTree();
        if (limits.processes > 0 && tree.size() > limits.processes) {
            w.fault(WorkerFault.Kind.LIMIT, "its process tree has " + tree.size() + " processes (pids "
                    + tree.stream().map(ProcessHandle::pid).toList() + "), more than " + WorkerLimits.PROCESSES
                    + " (" + limits.processes + "); the tree was killed with SIGKILL", null);
            return;
        }
        if (limits.memory > 0) {
            long total = 0;
            for (ProcessHandle p : tree) {
                try {
                    total += WorkerLimits.residentBytes(p.pid());
                } catch (IOException ended) {
                    // It ended since the tree was read: it holds no memory any more.
                }
            }
            if (total > limits.memory) {
                w.fault(WorkerFault.Kind.LIMIT, "its process tree (" + tree.size() + " process(es)) used "
                        + WorkerLimits.mib(total) + " (" + total + " bytes) of resident memory, more than "
                        + WorkerLimits.MEMORY + " (" + WorkerLimits.mib(limits.memory) + ", " + limits.memory
                        + " bytes); the tree was killed with SIGKILL", null);
            }
        }
    }
}
