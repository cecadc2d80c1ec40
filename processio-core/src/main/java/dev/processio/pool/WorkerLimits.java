package dev.processio.pool;

import dev.processio.BridgeStartupException;
import dev.processio.NodeBridgeOptions;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The OS limits of {@code processio.worker.limits.*} and how each is enforced here:
 * <ul>
 *   <li>{@code cpu-time}, {@code open-files}: {@code RLIMIT_CPU} and {@code RLIMIT_NOFILE}, set by
 *       {@code prlimit} (util-linux), which the worker command is prefixed with. prlimit sets the
 *       limits on itself and then execs the command, so the worker's pid is prlimit's. Each process
 *       of the tree has its own copy: the limit is per process, not shared by the tree.
 *       {@code RLIMIT_CPU} is set to N seconds soft and N + 1 hard: the kernel sends SIGXCPU at N
 *       and SIGKILL at N + 1 (with soft equal to hard it would SIGKILL at once).</li>
 *   <li>{@code processes}: a count of the worker's tree by {@link LimitWatch}, which kills the
 *       tree when it has more processes than the limit. {@code RLIMIT_NPROC} is not used: it counts
 *       every task (threads included) of the user, the JVM's own threads too when it runs as the
 *       same user, so a small limit would stop Node from starting its own threads; and it does not
 *       bind root (CAP_SYS_RESOURCE, CAP_SYS_ADMIN).</li>
 *   <li>{@code memory}: {@code RLIMIT_AS} is not used, since V8 reserves gigabytes of address
 *       space at start and Node would not run under it; nor is a cgroup v2 {@code memory.max},
 *       which needs a cgroup delegated to the JVM's user that processio cannot count on (and a
 *       hybrid cgroup v1 host has no v2 memory controller at all). Instead {@link LimitWatch} sums
 *       the resident memory ({@code VmRSS}, from {@code /proc/<pid>/statm}) of the worker's whole tree every
 *       {@value LimitWatch#CHECK_MILLIS} ms and SIGKILLs the tree above the limit; a worker that
 *       allocates faster than the check overshoots by what it allocates in one interval. Node
 *       workers of the bundled runtime also get {@code --max-old-space-size} of half the limit,
 *       unless {@code processio.node.options} sets one, so that V8 collects garbage harder and
 *       fails with its own heap error before the tree reaches the limit; the other half is for
 *       V8's young generation and code, the Node binary, and memory outside the JS heap
 *       (Buffers, native addons).</li>
 * </ul>
 * A limit that is set and cannot be applied (not Linux, no prlimit on the PATH, no readable
 * {@code /proc}) fails the pool's start with {@link BridgeStartupException.Reason#LIMITS_UNAVAILABLE}.
 * Unset limits change nothing: no prlimit, no watch.
 *
 * <p>Immutable and thread-safe.
 */
final class WorkerLimits {

    static final String MEMORY = "processio.worker.limits.memory";
    static final String CPU_TIME = "processio.worker.limits.cpu-time";
    static final String OPEN_FILES = "processio.worker.limits.open-files";
    static final String PROCESSES = "processio.worker.limits.processes";

    private static final long MIB = 1024 * 1024;
    private static final int SIGXCPU = 24;
    private static final int SIGKILL = 9;
    private static final int SIGABRT = 6;

    static final WorkerLimits NONE = new WorkerLimits(0, 0, 0, 0, null, null, 0);

    /** Bytes of resident memory of the whole tree; 0 for none. */
    final long memory;
    /** Seconds of CPU time of each process; 0 for none. */
    final long cpuSeconds;
    final int openFiles;
    /** Processes in the worker's tree, itself included; 0 for none. */
    final int processes;
    /** Absolute path of prlimit, or {@code null} when no prlimit limit is set. */
    private final String prlimit;
    /** The JVM's {@code PATH}, where the program behind prlimit is looked up, as without prlimit. */
    private final String pathVariable;
    /** The {@code --max-old-space-size} in MiB that Node workers get, or 0. */
    private final long nodeHeapMib;

    private WorkerLimits(long memory, long cpuSeconds, int openFiles, int processes, String prlimit,
            String pathVariable, long nodeHeapMib) {
        this.memory = memory;
        this.cpuSeconds = cpuSeconds;
        this.openFiles = openFiles;
        this.processes = processes;
        this.prlimit = prlimit;
        this.pathVariable = pathVariable;
        this.nodeHeapMib = nodeHeapMib;
    }

    /** The limits the options ask for, on this system. */
    static WorkerLimits of(NodeBridgeOptions options) {
        return of(options, System.getProperty("os.name", ""), System.getenv("PATH"), Path.of("/proc/self/status"));
    }

    /**
     * The limits the options ask for, on a system with this {@code os.name}, this {@code PATH} and
     * this status file of the JVM's own process.
     *
     * @throws BridgeStartupException naming the key, when a limit that is set cannot be applied
     */
    static WorkerLimits of(NodeBridgeOptions options, String osName, String pathVariable, Path ownStatus) {
        long memory = options.limitsMemory();
        Duration cpu = options.limitsCpuTime();
        long cpuSeconds = cpu == null ? 0 : cpu.getSeconds();
        int openFiles = options.limitsOpenFiles();
        int processes = options.limitsProcesses();
        if (memory == 0 && cpuSeconds == 0 && openFiles == 0 && processes == 0) {
            return NONE;
        }
        String pool = options.name();
        List<String> set = new ArrayList<>(4);
        if (memory > 0) {
            set.add(MEMORY);
        }
        if (cpuSeconds > 0) {
            set.add(CPU_TIME);
        }
        if (openFiles > 0) {
            set.add(OPEN_FILES);
        }
        if (processes > 0) {
            set.add(PROCESSES);
        }
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
            throw unavailable(pool, String.join(", ", set) + " can only be applied on Linux, and this is "
                    + osName + ". Unset " + (set.size() == 1 ? "it" : "them") + ", or run the application on Linux.");
        }
        if ((memory > 0 || processes > 0) && !Files.isReadable(ownStatus)) {
            throw unavailable(pool, (memory > 0 ? MEMORY : PROCESSES) + " is enforced by reading /proc, and "
                    + ownStatus + " cannot be read. Mount /proc (readable by the application's user), or unset "
                    + (memory > 0 ? MEMORY : PROCESSES) + ".");
        }
        String prlimit = null;
        if (cpuSeconds > 0 || openFiles > 0) {
            prlimit = find("prlimit", pathVariable);
            if (prlimit == null) {
                List<String> needing = set.stream().filter(k -> k.equals(CPU_TIME) || k.equals(OPEN_FILES)).toList();
                throw unavailable(pool, String.join(", ", needing) + " " + (needing.size() == 1 ? "is" : "are")
                        + " applied with prlimit (util-linux), which is not on the application's PATH (" + pathVariable
                        + "). Install util-linux (Debian: apt-get install util-linux), add the directory of prlimit"
                        + " to PATH, or unset " + String.join(", ", needing) + ".");
            }
        }
        long heap = memory > 0 ? Math.max(1, memory / 2 / MIB) : 0;
        return new WorkerLimits(memory, cpuSeconds, openFiles, processes, prlimit, pathVariable, heap);
    }

    private static BridgeStartupException unavailable(String pool, String message) {
        return new BridgeStartupException(pool, BridgeStartupException.Reason.LIMITS_UNAVAILABLE,
                "cannot apply worker limits: " + message, null, "", null);
    }

    /** An executable file named {@code name} in a directory of {@code pathVariable}, or {@code null}. */
    static String find(String name, String pathVariable) {
        if (pathVariable == null) {
            return null;
        }
        for (String dir : pathVariable.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath().toString();
            }
        }
        return null;
    }

    boolean any() {
        return this != NONE;
    }

    /** Whether {@link LimitWatch} has something to watch. */
    boolean watched() {
        return memory > 0 || processes > 0;
    }

    /**
     * {@code command} behind prlimit with the limits it applies, or {@code command} itself when it
     * applies none. A program named without a directory is looked up on the JVM's {@code PATH}, as
     * the JVM does without prlimit: prlimit would look it up on the worker's, which
     * {@code worker.environment} or the allow-list may change.
     */
    List<String> wrap(List<String> command) {
        if (prlimit == null) {
            return command;
        }
        String program = command.get(0);
        String found = program.contains(File.separator) ? null : find(program, pathVariable);
        if (found != null) {
            command = new ArrayList<>(command);
            command.set(0, found);
        }
        List<String> wrapped = new ArrayList<>(command.size() + 5);
        wrapped.add(prlimit);
        if (cpuSeconds > 0) {
            wrapped.add("--cpu=" + cpuSeconds + ":" + (cpuSeconds + 1));
        }
        if (openFiles > 0) {
            wrapped.add("--nofile=" + openFiles);
        }
        wrapped.add("--");
        wrapped.addAll(command);
        return wrapped;
    }

    /** Whether {@link #wrap} puts prlimit in front of the command. */
    boolean wraps() {
        return prlimit != null;
    }

    /** The program that a command made by {@link #wrap} runs behind prlimit. */
    String program(List<String> wrapped) {
        int separator = wrapped.indexOf("--");
        return separator >= 0 && separator + 1 < wrapped.size() ? wrapped.get(separator + 1) : wrapped.get(0);
    }

    /** The options of {@code node} for a Node worker: the user's, and a heap size matching the memory limit. */
    List<String> nodeOptions(List<String> userOptions) {
        if (nodeHeapMib == 0 || setsHeap(userOptions)) {
            return userOptions;
        }
        List<String> options = new ArrayList<>(userOptions);
        options.add("--max-old-space-size=" + nodeHeapMib);
        return options;
    }

    private static boolean setsHeap(List<String> options) {
        return options.stream().anyMatch(o -> o.startsWith("--max-old-space-size") || o.startsWith("--max_old_space_size"));
    }

    /**
     * Which mechanism enforces each limit that is set, and whether it covers one process or the
     * tree, for the pool's start-up log line.
     */
    String describe(BundledRuntime.Kind runtime, List<String> userNodeOptions) {
        List<String> parts = new ArrayList<>(4);
        if (memory > 0) {
            String text = MEMORY + "=" + mib(memory) + ": resident memory of the whole process tree, read from /proc"
                    + " every " + LimitWatch.CHECK_MILLIS + " ms (new processes found every "
                    + LimitWatch.CHECK_MILLIS * LimitWatch.RESCAN_CHECKS + " ms), SIGKILL of the tree above it (no cgroup v2"
                    + " memory.max, no RLIMIT_AS)";
            if (runtime == BundledRuntime.Kind.NODE) {
                text += setsHeap(userNodeOptions) ? "; Node's heap as processio.node.options sets it"
                        : "; Node workers get --max-old-space-size=" + nodeHeapMib;
            }
            parts.add(text);
        }
        if (cpuSeconds > 0) {
            parts.add(CPU_TIME + "=" + cpuSeconds + "s: RLIMIT_CPU through " + prlimit + ", per process (SIGXCPU at "
                    + cpuSeconds + " s, SIGKILL at " + (cpuSeconds + 1) + " s)");
        }
        if (openFiles > 0) {
            parts.add(OPEN_FILES + "=" + openFiles + ": RLIMIT_NOFILE through " + prlimit + ", per process");
        }
        if (processes > 0) {
            parts.add(PROCESSES + "=" + processes + ": a count of the process tree, new processes found every "
                    + LimitWatch.CHECK_MILLIS * LimitWatch.RESCAN_CHECKS + " ms, SIGKILL of the tree above it (no"
                    + " RLIMIT_NPROC, which counts every thread of the user)");
        }
        return "worker limits: " + String.join("; ", parts);
    }

    /**
     * The limit that explains how a process ended, as a clause for its exit description, or
     * {@code null}.
     *
     * @param killedByUs whether processio killed it (then a SIGKILL is processio's own)
     * @param stderrTail what it last wrote to stderr
     */
    String explain(ExitStatus status, boolean killedByUs, String stderrTail) {
        Integer signal = status.signal();
        if (signal == null) {
            return null;
        }
        if (signal == SIGXCPU && cpuSeconds > 0) {
            return "it used " + cpuSeconds + " s of CPU time, the limit of " + CPU_TIME;
        }
        if (signal == SIGKILL && cpuSeconds > 0 && !killedByUs) {
            return "killed by someone else, perhaps the kernel at the hard limit of " + CPU_TIME + " ("
                    + (cpuSeconds + 1) + " s of CPU time)";
        }
        if (signal == SIGABRT && nodeHeapMib > 0 && stderrTail.contains("heap")
                && stderrTail.contains("out of memory")) {
            return "V8 ran out of JavaScript heap at --max-old-space-size=" + nodeHeapMib + " (MiB), half of "
                    + MEMORY + " (" + mib(memory) + ")";
        }
        return null;
    }

    static String mib(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + " MiB" : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }

    /** Bytes per page, for {@code /proc/<pid>/statm}; read once from {@code /proc/self/smaps}, else 4 KiB. */
    private static final long PAGE_SIZE = pageSize();

    /**
     * Resident memory of one process, in bytes: {@code VmRSS}, read as pages from the second field
     * of {@code /proc/<pid>/statm}, a few times cheaper for the kernel to write than {@code status}.
     *
     * @throws IOException when it cannot be read (the process has ended, or there is no {@code /proc})
     */
    static long residentBytes(long pid) throws IOException {
        String statm = Files.readString(Path.of("/proc", Long.toString(pid), "statm"), StandardCharsets.ISO_8859_1);
        int start = statm.indexOf(' ') + 1;
        int end = statm.indexOf(' ', start);
        try {
            return Long.parseLong(statm.substring(start, end < 0 ? statm.length() : end).trim()) * PAGE_SIZE;
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new IOException("unreadable /proc/" + pid + "/statm: " + statm, e);
        }
    }

    private static long pageSize() {
        try (java.util.stream.Stream<String> lines = Files.lines(Path.of("/proc/self/smaps"))) {
            return lines.filter(l -> l.startsWith("KernelPageSize:")).findFirst()
                    .map(l -> Long.parseLong(l.substring(15).trim().split("\\s+")[0]) * 1024).orElse(4096L);
        } catch (IOException | RuntimeException e) {
            return 4096;
        }
    }
}
