package dev.processio.autoconfigure.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.DevWatchSnapshot;
import dev.processio.PoolSnapshot;
import dev.processio.RestartCause;
import dev.processio.ServerInfo;
import dev.processio.WorkerSnapshot;
import dev.processio.WorkerState;
import dev.processio.autoconfigure.endpoint.ProcessioEndpoint.PoolDescriptor;
import dev.processio.autoconfigure.endpoint.ProcessioEndpoint.ServerDescriptor;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON of {@code /actuator/processio} for snapshots made here: each worker's members, in the
 * order clients have seen them, with {@code server} added last.
 */
class ProcessioEndpointTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void eachWorkerKeepsItsMembersAndGainsWhatTheServerSaidAboutItself() {
        WorkerSnapshot processio = worker(1, 48211, WorkerState.READY,
                new ServerInfo("processio", "node 20.20.2", "1", Map.of("methods", List.of("add", "echo"))));
        WorkerSnapshot mcp = worker(2, 48377, WorkerState.READY, new ServerInfo("acme-fs", "1.4.0", "2025-06-18",
                Map.of("tools", Map.of("listChanged", true))));
        WorkerSnapshot jsonRpc = worker(3, -1, WorkerState.STARTING, null);
        JsonNode pool = JSON.valueToTree(ProcessioEndpoint.describe(snapshot(processio, mcp, jsonRpc)));

        JsonNode first = pool.path("workers").path(0);
        assertThat(first.propertyNames()).containsExactly("slot", "pid", "state", "uptimeSeconds", "callsServed",
                "inFlight", "stdinQueueFrames", "stdinQueueBytes", "drainWaits", "drainTimeMillis", "epipeCount",
                "restarts", "breakerState", "lastError", "stderr", "server");
        assertThat(first.path("slot").asInt()).isEqualTo(1);
        assertThat(first.path("pid").asLong()).isEqualTo(48211);
        assertThat(first.path("state").asString()).isEqualTo("READY");
        assertThat(first.path("uptimeSeconds").asDouble()).isEqualTo(312.4);
        assertThat(first.path("drainTimeMillis").asDouble()).isEqualTo(41.7);
        assertThat(first.path("restarts").path("crash").asLong()).isEqualTo(1);
        assertThat(first.path("stderr").path(0).asString()).isEqualTo("rendered 12 documents");
        assertThat(first.path("server")).isEqualTo(JSON.readTree("""
                {"name": "processio", "version": "node 20.20.2", "protocolVersion": "1",
                 "capabilities": {"methods": ["add", "echo"]}}"""));

        assertThat(pool.path("workers").path(1).path("server")).isEqualTo(JSON.readTree("""
                {"name": "acme-fs", "version": "1.4.0", "protocolVersion": "2025-06-18",
                 "capabilities": {"tools": {"listChanged": true}}}"""));

        // A worker that said nothing has no server; Actuator leaves the null member out.
        assertThat(ProcessioEndpoint.describe(jsonRpc).server()).isNull();
    }

    @Test
    void aServerThatGaveNoNameOrCapabilitiesHasNullsAndNoCapabilities() {
        ServerDescriptor server = ProcessioEndpoint.describe(new ServerInfo(null, null, "2025-11-25", null));
        assertThat(server).isEqualTo(new ServerDescriptor(null, null, "2025-11-25", Map.of()));
    }

    @Test
    void thePoolKeepsItsMembers() {
        PoolDescriptor pool = ProcessioEndpoint.describe(snapshot(worker(1, 48211, WorkerState.READY, null)));
        assertThat(JSON.valueToTree(pool).propertyNames()).containsExactly("name", "pendingCalls", "activeCalls",
                "callsServed", "lateReplies", "protocolErrors", "restarts", "workersByState", "workers", "devWatch");
        assertThat(pool.devWatch()).isNull();
    }

    @Test
    void aPoolThatWatchesItsModuleShowsWhyTheLastReloadFailed() {
        PoolSnapshot s = snapshot(worker(1, 48211, WorkerState.READY, null));
        PoolSnapshot watching = new PoolSnapshot(s.pool(), s.workers(), 0, 1, 1843, 1, 0, s.restarts(),
                s.workersByState(), new DevWatchSnapshot(Path.of("/app/target/classes/js"), 3, 1,
                        List.of("render.mjs"), Instant.parse("2026-03-01T10:15:30Z"),
                        "/app/target/classes/js/render.mjs:12: SyntaxError: Unexpected token ')'"));
        // Through the text, as clients read it: numbers compare by value, not by the type they were made of.
        JsonNode pool = JSON.readTree(JSON.writeValueAsString(ProcessioEndpoint.describe(watching)));
        assertThat(pool.path("devWatch")).isEqualTo(JSON.readTree("""
                {"directory": "/app/target/classes/js", "reloads": 3, "failedReloads": 1,
                 "lastChanged": ["render.mjs"], "lastChangedAt": "2026-03-01T10:15:30Z",
                 "lastError": "/app/target/classes/js/render.mjs:12: SyntaxError: Unexpected token ')'"}"""));
    }

    private static WorkerSnapshot worker(int slot, long pid, WorkerState state, ServerInfo server) {
        return new WorkerSnapshot(slot, pid, state, Duration.ofMillis(312_400), 902, 1, 0, 0, 3,
                Duration.ofNanos(41_700_000), 0, Map.of(RestartCause.CRASH, 1L), "CLOSED", null,
                "rendered 12 documents", server);
    }

    private static PoolSnapshot snapshot(WorkerSnapshot... workers) {
        return new PoolSnapshot("default", List.of(workers), 0, 1, 1843, 1, 0, Map.of(RestartCause.CRASH, 1L),
                Map.of(WorkerState.READY, workers.length));
    }
}
