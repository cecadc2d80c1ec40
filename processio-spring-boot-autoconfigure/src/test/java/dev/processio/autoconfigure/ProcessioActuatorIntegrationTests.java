package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.NodeBridge;
import dev.processio.testing.NoLeaks;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureRestTestClient;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.servlet.client.RestTestClient;
import tools.jackson.databind.JsonNode;

/**
 * The health contributor, the {@code processio} endpoint and the metrics of a running application
 * with one real Node worker. The leak check is declared before {@code @SpringBootTest} so that it
 * runs after the Spring extension has closed the dirtied context.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        classes = ProcessioActuatorIntegrationTests.TestApplication.class,
        properties = {
                "processio.node.module=classpath:js/handlers.mjs",
                "processio.pool.min-workers=1",
                "processio.pool.max-workers=1",
                "processio.quarantine.wait-duration=200ms",
                "management.endpoints.web.exposure.include=health,processio,metrics",
                "management.endpoint.health.show-details=always"})
@AutoConfigureRestTestClient
@DirtiesContext
class ProcessioActuatorIntegrationTests {

    @SpringBootApplication(proxyBeanMethods = false)
    static class TestApplication {
    }

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
        // A test that killed the worker leaves the pool healthy; wait for that, boundedly.
        await().atMost(REPLACEMENT_BOUND).until(() -> bridge.snapshot().readyWorkers() == 1);
    }

    @Test
    void healthHasAProcessioComponentWithDetails() {
        JsonNode processio = actuator.get("/actuator/health").path("components").path("processio");
        assertThat(processio.path("status").asString()).isEqualTo("UP");
        JsonNode details = processio.path("details");
        assertThat(details.path("pool").asString()).isEqualTo("default");
        assertThat(details.path("workers").path("ready").asInt()).isEqualTo(1);
        assertThat(details.path("pendingCalls").asInt()).isZero();
        assertThat(details.path("quarantined").isArray()).isTrue();
        assertThat(details.path("quarantined").size()).isZero();
    }

    @Test
    void endpointDescribesThePoolAndItsWorker() {
        long pid = bridge.snapshot().workers().get(0).pid();
        JsonNode pools = actuator.get("/actuator/processio").path("pools");
        assertThat(pools.propertyNames()).containsExactly("default");
        JsonNode pool = pools.path("default");
        assertThat(pool.path("name").asString()).isEqualTo("default");
        assertThat(pool.path("workers").size()).isEqualTo(1);
        JsonNode worker = pool.path("workers").path(0);
        assertThat(worker.path("slot").asInt()).isEqualTo(1);
        assertThat(worker.path("pid").asLong()).isEqualTo(pid);
        assertThat(worker.path("state").asString()).isEqualTo("READY");
        assertThat(worker.path("breakerState").asString()).isEqualTo("CLOSED");
        // What the worker said about itself, when it did: Actuator leaves out null members.
        if (worker.has("server")) {
            assertThat(worker.path("server").path("name").asString()).isEqualTo("processio");
            assertThat(worker.path("server").path("version").asString()).startsWith("node ");
        }
        assertThat(pool.path("workersByState").path("ready").asInt()).isEqualTo(1);

        JsonNode single = actuator.pool("default");
        assertThat(single.path("name").asString()).isEqualTo("default");
        assertThat(single.path("workers").path(0).path("pid").asLong()).isEqualTo(pid);
    }

    @Test
    void anUnknownPoolIsNotFound() {
        http.get().uri("/actuator/processio/nope").exchange().expectStatus().isNotFound();
    }

    @Test
    void callsAreCountedByTheEndpointAndTheMetrics() {
        long servedBefore = actuator.pool("default").path("callsServed").asLong();
        long workerServedBefore = actuator.pool("default").path("workers").path(0).path("callsServed").asLong();
        double countBefore = actuator.callCount("default", "success");
        for (int i = 0; i < 3; i++) {
            assertThat(bridge.call("add", Map.of("a", i, "b", 1), Integer.class)).isEqualTo(i + 1);
        }
        JsonNode pool = actuator.pool("default");
        assertThat(pool.path("callsServed").asLong()).isEqualTo(servedBefore + 3);
        assertThat(pool.path("workers").path(0).path("callsServed").asLong()).isEqualTo(workerServedBefore + 3);
        assertThat(actuator.callCount("default", "success")).isEqualTo(countBefore + 3);
    }

    @Test
    void aKilledWorkerIsReplacedAndCountedAsACrash() {
        long pid = actuator.readyPid("default");
        long crashesBefore = crashes();

        assertThat(ProcessHandle.of(pid)).isPresent().get().satisfies(p -> p.destroyForcibly());

        await().atMost(REPLACEMENT_BOUND).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            assertThat(crashes()).isEqualTo(crashesBefore + 1);
            assertThat(actuator.readyPid("default")).isNotEqualTo(pid);
        });
        await().atMost(REPLACEMENT_BOUND).untilAsserted(() -> assertThat(
                actuator.get("/actuator/health").path("components").path("processio").path("status").asString())
                .isEqualTo("UP"));
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(bridge.call("add", Map.of("a", 2, "b", 3), Integer.class)).isEqualTo(5);
        assertThat(bridge.call("pid", null, Long.class)).isEqualTo(actuator.readyPid("default"));
    }

    private long crashes() {
        return actuator.get("/actuator/processio").path("pools").path("default").path("restarts").path("crash")
                .asLong(0);
    }

    @Test
    void writeOperationsAreOffByDefault() {
        long pid = actuator.readyPid("default");
        actuator.post("/actuator/processio/default", "{\"action\":\"restart\"}").expectStatus().is4xxClientError();
        assertThat(actuator.readyPid("default")).isEqualTo(pid);
        assertThat(actuator.pool("default").path("restarts").path("manual").asLong(0)).isZero();
    }
}
