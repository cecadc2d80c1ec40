package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.NodeBridge;
import dev.processio.testing.NoLeaks;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureRestTestClient;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.servlet.client.RestTestClient;
import tools.jackson.databind.JsonNode;

/** The write operations of the {@code processio} endpoint, once its access is raised to unrestricted. */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        classes = ProcessioActuatorIntegrationTests.TestApplication.class,
        properties = {
                "processio.node.module=classpath:js/handlers.mjs",
                "processio.pool.min-workers=1",
                "processio.pool.max-workers=1",
                "processio.quarantine.wait-duration=200ms",
                "management.endpoints.web.exposure.include=health,processio,metrics",
                "management.endpoint.processio.access=unrestricted"})
@AutoConfigureRestTestClient
@DirtiesContext
class ProcessioActuatorWriteAccessIntegrationTests {

    @Autowired
    private RestTestClient http;

    @Autowired
    private NodeBridge bridge;

    /** Bound of the waits for a replacement worker: generous, for slow shared CI machines. */
    private static final Duration REPLACEMENT_BOUND = Duration.ofSeconds(30);

    private ActuatorJson actuator;

    @BeforeEach
    void client() {
        actuator = new ActuatorJson(http);
        await().atMost(REPLACEMENT_BOUND).until(() -> bridge.snapshot().readyWorkers() == 1
                && bridge.snapshot().workers().size() == 1);
    }

    @Test
    void restartReplacesTheWorker() {
        long pid = actuator.readyPid("default");
        long manualBefore = actuator.pool("default").path("restarts").path("manual").asLong(0);

        actuator.post("/actuator/processio/default", "{\"action\":\"restart\"}")
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.pool").isEqualTo("default")
                .jsonPath("$.action").isEqualTo("restart")
                .jsonPath("$.status").isEqualTo("rolling restart started");

        awaitReplaced(pid, manualBefore);
    }

    @Test
    void recycleReplacesTheWorkerOfOneSlot() {
        long pid = actuator.readyPid("default");
        long manualBefore = actuator.pool("default").path("restarts").path("manual").asLong(0);

        actuator.post("/actuator/processio/default", "{\"action\":\"recycle\",\"slot\":1}")
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.action").isEqualTo("recycle")
                .jsonPath("$.slot").isEqualTo(1);

        awaitReplaced(pid, manualBefore);
    }

    private void awaitReplaced(long pid, long manualBefore) {
        await().atMost(REPLACEMENT_BOUND).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            JsonNode pool = actuator.pool("default");
            assertThat(pool.path("restarts").path("manual").asLong(0)).isEqualTo(manualBefore + 1);
            assertThat(pool.path("workers").size()).isEqualTo(1);
            assertThat(actuator.readyPid("default")).isNotEqualTo(pid);
        });
        assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
    }

    @Test
    void badRequestsAreClientErrors() {
        long pid = actuator.readyPid("default");
        Map<String, Integer> statusByBody = new LinkedHashMap<>();
        for (String body : List.of("{\"action\":\"recycle\"}", "{\"action\":\"explode\"}",
                "{\"action\":\"recycle\",\"slot\":9}", "{}")) {
            statusByBody.put(body, actuator.post("/actuator/processio/default", body).returnResult(String.class)
                    .getStatus().value());
        }
        assertThat(statusByBody).allSatisfy((body, status) -> assertThat(status).as(body).isEqualTo(400));
        assertThat(actuator.readyPid("default")).isEqualTo(pid);
    }

    @Test
    void anUnknownPoolIsAClientError() {
        // 404 or 400: anything but a success, which would tell the operator that a restart began.
        actuator.post("/actuator/processio/nope", "{\"action\":\"restart\"}").expectStatus().is4xxClientError();
    }
}
