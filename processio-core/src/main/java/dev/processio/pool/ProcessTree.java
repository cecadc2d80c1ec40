package dev.processio.pool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The processes a worker process has started, and the ones they started, remembered so that
 * stopping the worker stops them too. A worker is often a wrapper: {@code npx -y server} runs
 * {@code npm exec}, which runs {@code sh -c}, which runs {@code node}; the pid processio
 * started is not the server's.
 *
 * <h2>Why remembered</h2>
 * When a process exits, its children are handed to init (or to a subreaper), and from then on
 * they are no descendants of the worker process: a look at its tree after it has ended finds
 * nothing. So {@link #remember} is called while the worker runs, and the handles it finds are
 * kept until they end. A handle carries its process's start time, and signalling through it
 * checks that time, so a pid that the system has given to a new process is never signalled.
 * A process started and orphaned between two looks is not seen; a look at every step of a stop
 * narrows that to the moment between the last look and the signal.
 *
 * <h2>Cost</h2>
 * One look at a process's tree is one {@link ProcessHandle#descendants()}, which on Linux reads
 * {@code /proc/<pid>/stat} of every process on the host: about 10 µs each, 1 ms on a host with a
 * hundred processes. {@link #remember} costs one such look for the worker process while it runs,
 * plus one for each remembered process that has left its tree at the top (none, as a rule, until
 * the worker process has ended). Checking whether the remembered processes still run reads two
 * small files per process.
 *
 * <h2>Threads</h2>
 * Thread-safe. The housekeeper remembers on its tick, the thread that hears the worker is ready
 * remembers once then, and whichever thread stops the worker remembers once more before each
 * signal and reads the set to signal and to wait. The handles
 * are in a concurrent set, and a handle is only ever added, or removed once its process has
 * ended, so two threads that look at once lose nothing.
 */
final class ProcessTree {

    /** How often {@link #awaitEnded} looks again. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Whether this system has {@code /proc}, where a process that has ended but is not yet reaped can be told apart. */
    private static final boolean PROC = Files.isDirectory(Path.of("/proc/self"));

    /** Descendants seen and not yet seen to have ended. */
    private final Set<ProcessHandle> remembered = ConcurrentHashMap.newKeySet();

    /**
     * Adds the descendants {@code root} has now, and those of remembered processes that have left
     * its tree (their parent ended), and forgets remembered processes that have ended.
     */
    void remember(ProcessHandle root) {
        Set<ProcessHandle> seen = new HashSet<>();
        if (root.isAlive()) {
            root.descendants().forEach(seen::add);
        }
        for (ProcessHandle p : remembered) {
            if (!running(p)) {
                remembered.remove(p);
            } else if (!seen.contains(p) && !hasRememberedParent(p)) {
                // The top of a part that left the tree: one look covers the rest of that part.
                p.descendants().forEach(seen::add);
            }
        }
        remembered.addAll(seen);
    }

    private boolean hasRememberedParent(ProcessHandle p) {
        return p.parent().filter(remembered::contains).isPresent();
    }

    /** Sends SIGTERM to every remembered process that still runs. */
    void terminateAll() {
        for (ProcessHandle p : remembered) {
            if (running(p)) {
                p.destroy();
            }
        }
    }

    /** Sends SIGKILL to every remembered process that still runs. */
    void killAll() {
        for (ProcessHandle p : remembered) {
            if (running(p)) {
                p.destroyForcibly();
            }
        }
    }

    /** The remembered processes that still run. */
    List<ProcessHandle> running() {
        return remembered.stream().filter(ProcessTree::running).toList();
    }

    boolean anyRunning() {
        for (ProcessHandle p : remembered) {
            if (running(p)) {
                return true;
            }
        }
        return false;
    }

    /** Waits up to {@code nanos} until no remembered process runs; returns whether none does. */
    boolean awaitEnded(long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (anyRunning()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            LockSupport.parkNanos(Math.min(left, POLL_NANOS));
            if (Thread.currentThread().isInterrupted()) {
                return !anyRunning();
            }
        }
        return true;
    }

    /**
     * Whether a process runs. {@link ProcessHandle#isAlive()} counts a process that has ended and
     * that its parent has not reaped (a zombie); a process orphaned to an init that never reaps,
     * as in many containers, would then count as running for good.
     */
    static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        if (!PROC) {
            return true;
        }
        try {
            String stat = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "stat")),
                    StandardCharsets.ISO_8859_1);
            // "pid (name) state ...": the name may hold spaces and parentheses, the state follows the last ')'.
            int end = stat.lastIndexOf(')');
            char state = end >= 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (NoSuchFileException ended) {
            return false;
        } catch (IOException | RuntimeException unreadable) {
            return p.isAlive();
        }
    }
}
