package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a child process of this JVM or a {@code processio-} thread behind.
 * Waits a bounded time first, since processes and threads end asynchronously after a bridge
 * closes. The same idea as processio-core's {@code NoLeaks}, whose test classes are not on this
 * module's classpath.
 *
 * <p>Register this class for tests whose contexts live inside one test (an
 * {@code ApplicationContextRunner}); register {@link AfterAllTests} for a {@code @SpringBootTest}
 * whose context lives for the whole class, declared <em>before</em> {@code @SpringBootTest} so that
 * its check runs after the Spring extension has closed the (dirtied) context.
 */
public final class NoLeftoverProcesses implements AfterEachCallback {

    private static final Duration BOUND = Duration.ofSeconds(20);

    @Override
    public void afterEach(ExtensionContext context) {
        awaitNothingLeft("after " + context.getDisplayName());
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
        await("no child process and no processio thread left " + when)
                .atMost(BOUND)
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(describeLeftovers()).isEmpty());
    }

    /** What is left, as text; empty when nothing is. */
    public static String describeLeftovers() {
        List<String> processes = ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                .collect(Collectors.toList());
        List<String> threads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("processio-"))
                .map(Thread::getName)
                .collect(Collectors.toList());
        if (processes.isEmpty() && threads.isEmpty()) {
            return "";
        }
        return "processes " + processes + ", threads " + threads;
    }
}
