package dev.processio.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a child process of this JVM (a worker, a browser or its driver) or a
 * {@code processio-} thread behind. Waits a bounded time first, since processes and threads end
 * asynchronously after a bridge closes.
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
                .untilAsserted(() -> assertThat(describeLeaks()).isEmpty());
    }

    /** What is left, as text; empty when nothing is. */
    public static String describeLeaks() {
        List<String> processes = ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
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
