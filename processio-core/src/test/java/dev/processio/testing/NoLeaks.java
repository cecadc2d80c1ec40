package dev.processio.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a child process of this JVM (a worker, a browser or its driver) or a
 * {@code processio-} thread behind. Waits a bounded time first, since processes and threads end
 * asynchronously after a bridge closes.
 *
 * <p>A process whose parent has ended is handed to init and is no descendant of this JVM any
 * more. A test that starts such processes (a worker's grandchildren) records them with
 * {@link #watch} while they are still descendants; the next check then fails while one of them
 * runs, and kills what is left once it is done, so that one leak fails one test only.
 *
 * <p>The one leak check of every module: the other modules get it from processio-core's test jar.
 * Register this class for tests that start and close their workers within one test (a bridge of
 * their own, an {@code ApplicationContextRunner}). Register {@link AfterAllTests} for a class whose
 * workers live as long as the class, such as a {@code @SpringBootTest} with {@code @DirtiesContext};
 * declare it <em>before</em> {@code @SpringBootTest}: JUnit runs after-all callbacks in reverse
 * order, so the check runs after the Spring extension has closed the context.
 */
public final class NoLeaks implements AfterEachCallback {

    /** Generous: closing a worker that ignores SIGTERM takes its kill timeout, on a busy machine longer. */
    private static final Duration BOUND = Duration.ofSeconds(20);

    /** Processes recorded by {@link #watch}, until the next check. */
    private static final Set<ProcessHandle> WATCHED = ConcurrentHashMap.newKeySet();

    @Override
    public void afterEach(ExtensionContext context) {
        awaitNothingLeft("after " + context.getDisplayName());
    }

    /** Makes the next check fail while one of these processes runs, wherever its parent has gone. */
    public static void watch(Collection<ProcessHandle> processes) {
        WATCHED.addAll(processes);
    }

    /** Whether a process runs: alive and not a zombie, which an init that never reaps would keep for good. */
    public static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        if (!Files.isDirectory(Path.of("/proc/self"))) {
            return true;
        }
        try {
            String text = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "stat")),
                    StandardCharsets.ISO_8859_1);
            char state = text.charAt(text.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException ended) {
            return false;
        }
    }

    /** Checks once, after every test of the class. */
    public static final class AfterAllTests implements AfterAllCallback {

        @Override
        public void afterAll(ExtensionContext context) {
            awaitNothingLeft("after the tests of " + context.getDisplayName());
        }
    }

    /** Waits until no child process and no processio thread is left, at most a bounded time. */
    public static void awaitNothingLeft(String when) {
        try {
            await("no child process and no processio thread left " + when)
                    .atMost(BOUND)
                    .pollInterval(Duration.ofMillis(50))
                    .untilAsserted(() -> assertThat(describeLeaks()).isEmpty());
        } finally {
            for (ProcessHandle p : WATCHED) {
                p.destroyForcibly();
            }
            WATCHED.clear();
        }
    }

    /** What is left, as text; empty when nothing is. */
    public static String describeLeaks() {
        List<String> processes = Stream.concat(ProcessHandle.current().descendants(), WATCHED.stream())
                .distinct()
                .filter(NoLeaks::running)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                .toList();
        List<String> threads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("processio-"))
                .map(Thread::getName)
                .toList();
        if (processes.isEmpty() && threads.isEmpty()) {
            return "";
        }
        return "processes " + processes + ", threads " + threads;
    }
}
