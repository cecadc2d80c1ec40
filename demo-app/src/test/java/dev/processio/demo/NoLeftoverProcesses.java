package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves a child process of this JVM behind (a worker, a browser or its
 * driver). Declare it before {@code @SpringBootTest}: JUnit runs after-all callbacks in reverse
 * order, so it checks after Spring has closed the class's context ({@code @DirtiesContext}).
 */
final class NoLeftoverProcesses implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        await("no child process left after " + context.getDisplayName())
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(leftovers()).as("child processes").isEmpty());
    }

    static List<String> leftovers() {
        return ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                .toList();
    }
}
