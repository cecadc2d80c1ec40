package dev.processio.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a child process of this JVM or a {@code processio-} thread behind. Waits a
 * bounded time first, since processes and threads end asynchronously after {@code close()}.
 */
public final class NoLeaks implements AfterEachCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        await("no child process and no processio thread left after " + context.getDisplayName())
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> describeLeaks().isEmpty());
    }

    /** What is left, as text; empty when nothing is. */
    public static String describeLeaks() {
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
