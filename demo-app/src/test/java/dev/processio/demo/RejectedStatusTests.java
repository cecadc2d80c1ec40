package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import dev.processio.demo.DemoClient.Reply;
import dev.processio.testing.NoLeaks;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * 429: one worker holding one call at a time is busy, one render waits, the next finds the queue full.
 * The waiting render holds the queue's one place for acquire-timeout; that is the time the test has to
 * see it waiting and send the next, so it is several seconds, not one or two, on a busy machine.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "processio.pool.min-workers=1", "processio.pool.max-workers=1",
        "processio.pool.max-in-flight-per-worker=1", "processio.pool.max-pending=1",
        "processio.pool.acquire-timeout=6s",
        "processio.shutdown.grace-period=500ms", "processio.shutdown.kill-timeout=1s"})
@DirtiesContext
class RejectedStatusTests {

    @LocalServerPort
    int port;

    @Autowired
    NodeBridge bridge;

    @Test
    void renderBeyondMaxPendingIs429() {
        DemoClient client = new DemoClient(port);
        bridge.callAsync("chaos.hang", Map.of(), Map.class, CallOptions.timeout(Duration.ofSeconds(20)));
        await().until(() -> client.pool().get("activeCalls").asInt() == 1);
        CompletableFuture<Reply> waiting = client.renderAsync("# waits for a worker");
        await().until(() -> client.pool().get("pendingCalls").asInt() == 1);

        Reply reply = client.render("# finds the queue full");

        assertThat(reply.status()).isEqualTo(429);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().get("code").asString()).isEqualTo("pool-busy");
        assertThat(reply.body().get("detail").asString()).contains("max-pending");
        // The waiting render gives up after acquire-timeout: a 504, not a 429.
        assertThat(waiting.join().status()).isEqualTo(504);
    }
}
