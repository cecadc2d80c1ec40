package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.NodeBridge;
import dev.processio.demo.DemoClient.Reply;
import dev.processio.testing.NoLeaks;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * 502: the only worker stops reading stdin; a render larger than the pipe is written in part,
 * the write stalls past io.write-timeout, and the worker is killed holding the call.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "processio.pool.min-workers=1", "processio.pool.max-workers=1",
        "processio.io.write-timeout=1s", "processio.call.timeout=20s",
        "processio.shutdown.grace-period=500ms", "processio.shutdown.kill-timeout=1s",
        "demo.render.max-chars=400000"})
@DirtiesContext
class WorkerLostStatusTests {

    @LocalServerPort
    int port;

    @Autowired
    NodeBridge bridge;

    @Test
    void workerLostHoldingTheRenderIs502() {
        DemoClient client = new DemoClient(port);
        bridge.call("chaos.stall", Map.of("seconds", 30), Map.class);

        Reply reply = client.render("Larger than a pipe buffer. ".repeat(12_000));

        assertThat(reply.status()).isEqualTo(502);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().get("code").asString()).isEqualTo("worker-lost");
        assertThat(reply.body().get("detail").asString()).contains("stdin");
        // The slot is replaced and renders work again.
        // After quarantine's wait-duration a new Node process starts: seconds on a busy machine.
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(client.render("# back").status()).isEqualTo(200));
    }
}
