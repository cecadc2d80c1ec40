package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.CallOptions;
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

/** 504: the only worker hangs, and a render with a short timeout gives up on it. */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "processio.pool.min-workers=1", "processio.pool.max-workers=1",
        "processio.shutdown.grace-period=500ms", "processio.shutdown.kill-timeout=1s",
        "demo.render.timeout=1s"})
@DirtiesContext
class TimeoutStatusTests {

    @LocalServerPort
    int port;

    @Autowired
    NodeBridge bridge;

    @Test
    void renderThatTimesOutIs504() {
        DemoClient client = new DemoClient(port);
        bridge.callAsync("chaos.hang", Map.of(), Map.class, CallOptions.timeout(Duration.ofSeconds(20)));
        await().until(() -> client.pool().get("activeCalls").asInt() == 1);

        Reply reply = client.render("# too late");

        assertThat(reply.status()).isEqualTo(504);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().get("code").asString()).isEqualTo("worker-timeout");
        assertThat(reply.body().get("detail").asString()).contains("timed out");
    }
}
