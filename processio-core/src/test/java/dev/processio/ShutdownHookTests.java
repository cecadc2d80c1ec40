package dev.processio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.AbandonedBridge;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A JVM that exits without closing its bridge leaves no worker behind. */
@ExtendWith(NoLeaks.class)
class ShutdownHookTests {

    @Test
    void theShutdownHookKillsWorkersOfABridgeThatWasNeverClosed() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process jvm = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                AbandonedBridge.class.getName(), TestWorkers.file("pool.mjs").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String pidLine;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream()))) {
            pidLine = out.readLine();
        }
        assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).as("abandoning JVM exited").isTrue();
        assertThat(pidLine).as("worker pid").isNotNull().matches("\\d+");
        long workerPid = Long.parseLong(pidLine);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(workerPid).map(p -> !p.isAlive()).orElse(true));
    }
}
