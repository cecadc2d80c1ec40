package dev.processio.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;


import dev.processio.BridgeStartupException;
import dev.processio.NodeBridgeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A limit that is set and that this system cannot apply fails the pool's start with a message that
 * names the key and what to change; unset limits need nothing of the system. The system is
 * described to {@link WorkerLimits#of(NodeBridgeOptions, String, String, Path)} the way
 * {@link Pool} reads it.
 */
class WorkerLimitsPlatformTests {

    /** Stands in for /proc/self/status, which WorkerLimits only checks for being readable. */
    private Path ownStatus;

    @TempDir
    Path dir;

    @BeforeEach
    void aStatusFile() throws Exception {
        ownStatus = Files.writeString(dir.resolve("own-status"), "Name:\tjava\n");
    }

    @Test
    void unsetLimitsNeedNothingAndChangeNothing() {
        WorkerLimits limits = WorkerLimits.of(options(b -> b), "Windows 11", null, dir.resolve("none"));
        assertThat(limits.any()).isFalse();
        assertThat(limits.watched()).isFalse();
        assertThat(limits.wrap(List.of("node", "w.mjs"))).containsExactly("node", "w.mjs");
        assertThat(limits.nodeOptions(List.of("--a"))).containsExactly("--a");
    }

    @Test
    void aPrlimitLimitWithoutPrlimitOnThePathFailsNamingTheKey() {
        assertThatThrownBy(() -> WorkerLimits.of(options(b -> b.limitsCpuTime(Duration.ofSeconds(5))), "Linux",
                dir.toString(), ownStatus))
                .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                    assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.LIMITS_UNAVAILABLE);
                    assertThat(e.pool()).isEqualTo("test");
                })
                .hasMessageContaining("processio.worker.limits.cpu-time is applied with prlimit (util-linux)")
                .hasMessageContaining("not on the application's PATH (" + dir + ")")
                .hasMessageContaining("or unset processio.worker.limits.cpu-time");
    }

    @Test
    void prlimitIsTakenFromThePathAndPrefixesTheCommand() throws Exception {
        Path prlimit = Files.createFile(dir.resolve("prlimit"));
        prlimit.toFile().setExecutable(true);
        WorkerLimits limits = WorkerLimits.of(options(b -> b.limitsCpuTime(Duration.ofSeconds(5)).limitsOpenFiles(64)
                .limitsProcesses(8)), "Linux", "/nonexistent:" + dir, ownStatus);
        assertThat(limits.wrap(List.of("node", "w.mjs"))).containsExactly(prlimit.toString(), "--cpu=5:6",
                "--nofile=64", "--", "node", "w.mjs");
        WorkerLimits counted = WorkerLimits.of(options(b -> b.limitsProcesses(8)), "Linux", "/nonexistent",
                ownStatus);
        assertThat(counted.wrap(List.of("node"))).as("the count of the tree needs no prlimit").containsExactly("node");
    }

    @Test
    void theMemoryLimitNeedsNoPrlimitButProc() {
        WorkerLimits limits = WorkerLimits.of(options(b -> b.limitsMemory(300L << 20)), "Linux", dir.toString(),
                ownStatus);
        assertThat(limits.watched()).isTrue();
        assertThat(limits.wrap(List.of("node"))).containsExactly("node");
        assertThat(limits.nodeOptions(List.of())).containsExactly("--max-old-space-size=150");

        assertThatThrownBy(() -> WorkerLimits.of(options(b -> b.limitsMemory(300L << 20)), "Linux", dir.toString(),
                dir.resolve("status")))
                .isInstanceOf(BridgeStartupException.class)
                .hasMessageContaining("processio.worker.limits.memory is enforced by reading /proc")
                .hasMessageContaining("Mount /proc");
    }

    @Test
    void limitsAreLinuxOnly() {
        assertThatThrownBy(() -> WorkerLimits.of(options(b -> b.limitsMemory(1L << 30).limitsOpenFiles(100)),
                "Mac OS X", "/usr/bin", ownStatus))
                .isInstanceOf(BridgeStartupException.class)
                .hasMessageContaining("processio.worker.limits.memory, processio.worker.limits.open-files can only be"
                        + " applied on Linux, and this is Mac OS X");
    }

    @Test
    void exitsAreExplainedByTheLimitThatEndedThem() throws Exception {
        Files.createFile(dir.resolve("prlimit")).toFile().setExecutable(true);
        WorkerLimits limits = WorkerLimits.of(options(b -> b.limitsCpuTime(Duration.ofSeconds(2))
                .limitsMemory(200L << 20)), "Linux", dir.toString(), ownStatus);
        assertThat(limits.explain(new ExitStatus(128 + 24), false, "")).contains("processio.worker.limits.cpu-time");
        assertThat(limits.explain(new ExitStatus(128 + 6), false, "FATAL ERROR: ... JavaScript heap out of memory"))
                .contains("--max-old-space-size=100").contains("processio.worker.limits.memory");
        assertThat(limits.explain(new ExitStatus(128 + 6), false, "assertion failed")).isNull();
        assertThat(limits.explain(new ExitStatus(1), false, "")).isNull();
        assertThat(new ExitStatus(152).withLimit("it used 2 s").describe()).isEqualTo("signal 24 (SIGXCPU): it used 2 s");
    }

    @Test
    void residentMemoryFromStatmIsVmRssFromStatus() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs /proc");
        long pid = ProcessHandle.current().pid();
        long statm = WorkerLimits.residentBytes(pid);
        long status = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.substring(6).trim().split("\\s+")[0]) * 1024).findFirst().orElseThrow();
        // Read a moment apart from a JVM that allocates: close, not equal.
        assertThat(statm).isPositive().isBetween(status * 9 / 10, status * 11 / 10);
    }

    private static NodeBridgeOptions options(UnaryOperator<NodeBridgeOptions.Builder> change) {
        return change.apply(NodeBridgeOptions.builder().name("test").command("worker")).build();
    }
}
