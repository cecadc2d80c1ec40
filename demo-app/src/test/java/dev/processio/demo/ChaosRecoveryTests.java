package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.demo.DemoClient.Reply;
import dev.processio.testing.NoLeaks;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import tools.jackson.databind.JsonNode;

/**
 * Each chaos action against real workers, under the chaos profile's quick quarantine settings,
 * followed by recovery: every worker READY, none quarantined, health UP, and renders succeed. The
 * tests share one context, so restart counters are compared with their value before the action.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("chaos")
@DirtiesContext
class ChaosRecoveryTests {

    private static final Duration RECOVERY = Duration.ofSeconds(30);

    @LocalServerPort
    int port;

    DemoClient client;

    @BeforeEach
    void healthyPool() {
        client = new DemoClient(port);
        awaitRecovered(-1);
    }

    @Test
    void chaosIsOnUnderItsProfile() {
        assertThat(client.get("/api/config").body().get("chaos").asBoolean()).isTrue();
        Reply unknown = client.post("/api/chaos/explode", "{}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.contentType()).startsWith("application/problem+json");
    }

    @Test
    void crash() {
        long crashesBefore = restarts("crash");
        long pid = hit("crash");
        await().atMost(RECOVERY).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        await().atMost(RECOVERY).until(() -> restarts("crash") >= crashesBefore + 1);
        awaitRecovered(pid);
    }

    @Test
    void closeStdinBreaksThePipe() {
        long epipesBefore = restarts("epipe");
        long pid = hit("close-stdin");
        await().atMost(RECOVERY).until(() -> restarts("epipe") >= epipesBefore + 1);
        assertThat(client.workers()).anySatisfy(w -> assertThat(w.get("epipeCount").asLong()).isPositive());
        awaitRecovered(pid);
    }

    @Test
    void garbageOnStdoutIsAProtocolFault() {
        long protocolBefore = restarts("protocol");
        long protocolErrorsBefore = client.pool().get("protocolErrors").asLong();
        long pid = hit("garbage");
        await().atMost(RECOVERY).until(() -> restarts("protocol") >= protocolBefore + 1);
        assertThat(client.pool().get("protocolErrors").asLong()).isPositive().isGreaterThan(protocolErrorsBefore);
        awaitRecovered(pid);
    }

    @Test
    void hungWorkerIsQuarantinedAndReplaced() {
        List<Long> before = pids();
        long hangRestartsBefore = restarts("heartbeat") + restarts("timeout");
        Reply reply = client.post("/api/chaos/hang", "{}");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body().get("detail").asString()).contains("timed out");
        await().atMost(RECOVERY).until(() -> restarts("heartbeat") + restarts("timeout") >= hangRestartsBefore + 1);
        awaitRecovered(-1);
        assertThat(pids()).isNotEqualTo(before);
    }

    @Test
    void stalledWorkerMakesWritesWaitForThePipe() {
        long drainWaitsBefore = drainWaits();
        Reply reply = client.post("/api/chaos/stall?seconds=2", "{}");
        assertThat(reply.status()).isEqualTo(200);
        await().atMost(RECOVERY).until(() -> drainWaits() > drainWaitsBefore);
        awaitRecovered(-1);
    }

    private long hit(String action) {
        Reply reply = client.post("/api/chaos/" + action, "{}");
        assertThat(reply.status()).as(action + ": " + reply.body()).isEqualTo(200);
        long pid = reply.body().get("worker").asLong();
        assertThat(pid).isPositive();
        return pid;
    }

    private long restarts(String cause) {
        JsonNode n = client.pool().get("restarts").get(cause);
        return n == null ? 0 : n.asLong();
    }

    private long drainWaits() {
        return client.workers().stream().mapToLong(w -> w.get("drainWaits").asLong()).sum();
    }

    private List<Long> pids() {
        return client.workers().stream().map(w -> w.path("pid").asLong()).sorted().toList();
    }

    /** Healthy again: renders succeed, every worker is READY with a closed or probing breaker, health is UP. */
    private void awaitRecovered(long goneWorker) {
        await("the pool recovered").atMost(RECOVERY).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            List<CompletableFuture<Reply>> renders = IntStream.range(0, 4)
                    .mapToObj(i -> client.renderAsync("# probe " + i)).toList();
            assertThat(renders).allSatisfy(r -> assertThat(r.join().status()).isEqualTo(200));
            List<JsonNode> workers = client.workers();
            assertThat(workers).hasSizeGreaterThanOrEqualTo(2).allSatisfy(w -> {
                assertThat(w.get("state").asString()).isEqualTo("READY");
                assertThat(w.get("breakerState").asString()).isIn("CLOSED", "HALF_OPEN");
                assertThat(w.path("pid").asLong()).isNotEqualTo(goneWorker);
            });
            Reply health = client.get("/actuator/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.body().at("/components/processio/status").asString()).isEqualTo("UP");
        });
    }
}
