package dev.processio.pool;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces the limits of a worker's whole process tree that no rlimit can: {@code
 * processio.worker.limits.memory} (the sum of the tree's resident memory) and {@code
 * processio.worker.limits.processes} (the number of processes in it). A tree over a limit is
 * SIGKILLed at once as a fault of its worker ({@link WorkerFault.Kind#LIMIT}): its calls fail with
 * {@code WorkerLostException}, and its slot is quarantined and refilled as after a crash.
 *
 * <h2>How often, and what it costs</h2>
 * Every {@value #CHECK_MILLIS} ms it reads {@code /proc/<pid>/statm} of each process of each live
 * worker's tree as far as the worker knows it ({@link Worker#knownTree()}), and {@code stat} to see
 * that each still runs: tens of microseconds per process on a quiet host, a few hundred on a
 * loaded one. Every {@value #RESCAN_CHECKS}th check it first looks for new descendants, one scan
 * of {@code /proc} per worker (see {@link ProcessTree}), which is the larger cost and the reason it
 * is not done at every check. It needs no thread of its own: it runs on the pool's housekeeper.
 *
 * <h2>Overshoot</h2>
 * Memory is read, not reserved: nothing stops an allocation, so the kill comes after the tree has
 * passed the limit, by what it allocated since the last check, plus the time to deliver SIGKILL.
 * A Node worker that fills 8 MiB Buffers, in a loop that never yields (about 1.3 GB/s) or one per
 * turn of its event loop, was seen 0.5 - 33 MiB over a 200 MiB limit (median about 10 MiB) in 18
 * runs on a 2-CPU VM with a load average of 4 - 8; at a 50 ms interval, up to 58 MiB. A busy
 * housekeeper checks late, and the overshoot grows with the delay. A process that the tree starts
 * is unseen for up to {@value #RESCAN_CHECKS} checks: its memory and its count only join the sums
 * from then on.
 *
 * <p>Runs on the housekeeper thread, which alone touches {@code checks}. It reads the slots, and
 * a tree over a limit is reported as the worker's fault ({@link Worker#fault}), which kills it and
 * tells the supervisor.
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
    /** Only on the housekeeper thread. */
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
