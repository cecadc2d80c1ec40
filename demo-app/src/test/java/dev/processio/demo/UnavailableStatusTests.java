package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.NodeBridge;
import dev.processio.demo.DemoClient.Reply;
import dev.processio.testing.NoLeaks;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/** 503: the only worker crashed and stays quarantined for a long wait-duration. */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "processio.pool.min-workers=1", "processio.pool.max-workers=1",
        "processio.quarantine.wait-duration=60s", "processio.quarantine.max-wait-duration=60s",
        "processio.shutdown.grace-period=500ms", "processio.shutdown.kill-timeout=1s"})
@DirtiesContext
class UnavailableStatusTests {

    @LocalServerPort
    int port;

    @Autowired
    NodeBridge bridge;

    @Test
    void renderWithEveryWorkerQuarantinedIs503() {
        DemoClient client = new DemoClient(port);
        bridge.call("chaos.crash", Map.of(), Map.class);
        await().until(() -> client.pool().get("workersByState").path("quarantined").asInt() == 1);

        Reply reply = client.render("# nobody home");

        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().get("code").asString()).isEqualTo("pool-unavailable");
        Reply health = client.get("/actuator/health");
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.body().at("/components/processio/status").asString()).isEqualTo("DOWN");
    }
}
