package dev.processio.autoconfigure.endpoint;

import dev.processio.DevWatchSnapshot;
import dev.processio.NodeBridge;
import dev.processio.PoolSnapshot;
import dev.processio.ServerInfo;
import dev.processio.WorkerSnapshot;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * {@code /actuator/processio}: every pool's workers and totals. Writes are off unless the
 * endpoint's access is raised to unrestricted: {@code POST /actuator/processio/{pool}} with
 * {@code {"action":"restart"}} restarts a pool worker by worker, {@code {"action":"recycle","slot":N}}
 * recycles one worker. Each worker shows, as {@code server}, what it said about itself when it
 * started; a pool that watches its module ({@code processio.dev.watch}) shows, as {@code devWatch},
 * its reloads and why the last one failed. The JSON is a public contract: members are added, never changed or removed.
 */
@Endpoint(id = "processio", defaultAccess = Access.READ_ONLY)
public class ProcessioEndpoint {

    /** Stderr lines shown per worker. */
    static final int STDERR_LINES = 20;

    private final ObjectProvider<NodeBridge> bridges;

    public ProcessioEndpoint(ObjectProvider<NodeBridge> bridges) {
        this.bridges = bridges;
    }

    @ReadOperation
    public PoolsDescriptor pools() {
        Map<String, PoolDescriptor> pools = new LinkedHashMap<>();
        bridges.orderedStream().forEach(bridge -> pools.put(bridge.name(), describe(bridge.snapshot())));
        return new PoolsDescriptor(pools);
    }

    @ReadOperation
    public @Nullable PoolDescriptor pool(@Selector String pool) {
        NodeBridge bridge = find(pool);
        return bridge == null ? null : describe(bridge.snapshot());
    }

    @WriteOperation
    public ActionResult action(@Selector String pool, String action, @Nullable Integer slot) {
        NodeBridge bridge = find(pool);
        if (bridge == null) {
            throw new InvalidEndpointRequestException("no pool '" + pool + "'", "No such pool");
        }
        switch (action) {
            case "restart" -> {
                bridge.restart();
                return new ActionResult(pool, "restart", null, "rolling restart started");
            }
            case "recycle" -> {
                if (slot == null) {
                    throw new InvalidEndpointRequestException("action 'recycle' needs a 'slot'", "Missing slot");
                }
                try {
                    bridge.recycle(slot);
                } catch (IllegalArgumentException e) {
                    throw new InvalidEndpointRequestException(e.getMessage(), "No such slot");
                }
                return new ActionResult(pool, "recycle", slot, "recycling started");
            }
            default -> throw new InvalidEndpointRequestException("unknown action '" + action
                    + "'; use 'restart' or 'recycle' (with 'slot')", "Unknown action");
        }
    }

    private @Nullable NodeBridge find(String pool) {
        return bridges.orderedStream().filter(b -> b.name().equals(pool)).findFirst().orElse(null);
    }

    static PoolDescriptor describe(PoolSnapshot s) {
        Map<String, Long> restarts = new LinkedHashMap<>();
        s.restarts().forEach((cause, n) -> restarts.put(cause.tag(), n));
        Map<String, Integer> byState = new LinkedHashMap<>();
        s.workersByState().forEach((state, n) -> byState.put(state.name().toLowerCase(Locale.ROOT), n));
        List<WorkerDescriptor> workers = s.workers().stream().map(ProcessioEndpoint::describe).toList();
        return new PoolDescriptor(s.pool(), s.pendingCalls(), s.activeCalls(), s.callsServed(), s.lateReplies(),
                s.protocolErrors(), restarts, byState, workers, describe(s.devWatch()));
    }

    static @Nullable DevWatchDescriptor describe(@Nullable DevWatchSnapshot watch) {
        if (watch == null) {
            return null;
        }
        return new DevWatchDescriptor(watch.directory().toString(), watch.reloads(), watch.failedReloads(),
                watch.lastChanged(), watch.lastChangedAt() == null ? null : watch.lastChangedAt().toString(),
                watch.lastError());
    }

    static WorkerDescriptor describe(WorkerSnapshot w) {
        Map<String, Long> restarts = new LinkedHashMap<>();
        w.restarts().forEach((cause, n) -> restarts.put(cause.tag(), n));
        List<String> lines = w.stderrTail().isEmpty() ? List.of() : Arrays.asList(w.stderrTail().split("\n"));
        List<String> lastLines = lines.subList(Math.max(0, lines.size() - STDERR_LINES), lines.size());
        return new WorkerDescriptor(w.slot(), w.pid() < 0 ? null : w.pid(), w.state().name(),
                w.uptime().toMillis() / 1000.0, w.callsServed(), w.inFlight(), w.stdinQueueFrames(),
                w.stdinQueueBytes(), w.drainWaits(), w.drainTime().toNanos() / 1_000_000.0, w.epipeCount(), restarts,
                w.breakerState(), w.lastError(), List.copyOf(lastLines), describe(w.server()));
    }

    static @Nullable ServerDescriptor describe(@Nullable ServerInfo server) {
        if (server == null) {
            return null;
        }
        return new ServerDescriptor(server.name(), server.version(), server.protocolVersion(),
                server.capabilities() == null ? Map.of() : server.capabilities());
    }

    /** Every pool, by name. */
    public record PoolsDescriptor(Map<String, PoolDescriptor> pools) implements OperationResponseBody {
    }

    /**
     * One pool.
     *
     * @param devWatch what the watch of {@code processio.dev.watch} has seen; {@code null} when the
     *        pool does not watch its module
     */
    public record PoolDescriptor(String name, int pendingCalls, int activeCalls, long callsServed, long lateReplies,
            long protocolErrors, Map<String, Long> restarts, Map<String, Integer> workersByState,
            List<WorkerDescriptor> workers, @Nullable DevWatchDescriptor devWatch) implements OperationResponseBody {

        /** A pool that does not watch its module, as made before {@code devWatch} was a member. */
        public PoolDescriptor(String name, int pendingCalls, int activeCalls, long callsServed, long lateReplies,
                long protocolErrors, Map<String, Long> restarts, Map<String, Integer> workersByState,
                List<WorkerDescriptor> workers) {
            this(name, pendingCalls, activeCalls, callsServed, lateReplies, protocolErrors, restarts, workersByState,
                    workers, null);
        }
    }

    /**
     * The module watch of a pool.
     *
     * @param lastChangedAt when the workers began to be replaced for the last change, ISO-8601
     * @param lastError why the module did not load after the last change, with its file and line;
     *        {@code null} when the last reload served
     */
    public record DevWatchDescriptor(String directory, long reloads, long failedReloads, List<String> lastChanged,
            @Nullable String lastChangedAt, @Nullable String lastError) {
    }

    /**
     * One worker.
     *
     * @param server what the worker said about itself when it started; {@code null} before that,
     *        and for a {@code json-rpc} worker, which says nothing
     */
    public record WorkerDescriptor(int slot, @Nullable Long pid, String state, double uptimeSeconds,
            long callsServed, int inFlight, int stdinQueueFrames, long stdinQueueBytes, long drainWaits,
            double drainTimeMillis, long epipeCount, Map<String, Long> restarts, String breakerState,
            @Nullable String lastError, List<String> stderr, @Nullable ServerDescriptor server) {
    }

    /**
     * The server a worker runs: MCP's {@code serverInfo} with the negotiated protocol version and
     * capabilities, or for the bundled runtimes {@code processio}, the runtime and wire protocol.
     */
    public record ServerDescriptor(@Nullable String name, @Nullable String version, String protocolVersion,
            Map<String, Object> capabilities) {
    }

    /** What a write operation started. */
    public record ActionResult(String pool, String action, @Nullable Integer slot, String status)
            implements OperationResponseBody {
    }
}
