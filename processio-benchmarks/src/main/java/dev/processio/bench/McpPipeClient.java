package dev.processio.bench;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The baseline of {@link McpThroughput}: a minimal hand-written MCP client over one server process,
 * what a user would write without processio. It sends {@code initialize}, waits for its result, sends
 * {@code notifications/initialized}, and from then on writes each {@code tools/call} on the caller's
 * thread (one write and one flush per call) and reads replies on one reader thread, which parses each
 * line with Jackson and completes the caller's future by id. No timeouts, no backpressure, no
 * restarts, no heartbeat, no cancellation.
 *
 * <p>Thread-safe: writes are serialized on the output stream; {@link #pending} is a concurrent map
 * that the callers fill and the reader thread empties.
 */
final class McpPipeClient implements AutoCloseable {

    /** The revision that the filesystem server negotiates, as processio's {@code mcp} dialect does. */
    static final String PROTOCOL_VERSION = "2025-11-25";

    private final Process process;
    private final JsonMapper json;
    /** Guarded by itself: the callers' frames must not interleave. */
    private final OutputStream out;
    private final BufferedReader in;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Thread reader;
    /** Guarded by {@link #out}. */
    private long lastId;

    private McpPipeClient(Process process, JsonMapper json) {
        this.process = process;
        this.json = json;
        this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8), 1 << 16);
        this.reader = new Thread(this::readLoop, "bench-mcp-pipe-stdout");
        this.reader.setDaemon(true);
    }

    /** Starts {@code command} and returns once the server has answered {@code initialize}. */
    static McpPipeClient start(List<String> command, JsonMapper json) throws IOException {
        // The server writes a line or two of its own on stderr; nothing reads them here.
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        McpPipeClient client = new McpPipeClient(p, json);
        try {
            client.initialize();
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        client.reader.start();
        return client;
    }

    private void initialize() throws IOException {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("protocolVersion", PROTOCOL_VERSION);
        params.put("capabilities", Map.of());
        params.put("clientInfo", Map.of("name", "processio-bench-pipe", "version", "1"));
        write(request(0, "initialize", params));
        String line = in.readLine();
        JsonNode reply = line == null ? null : json.readTree(line);
        if (reply == null || reply.get("result") == null) {
            throw new IOException("server " + process.pid() + " did not answer initialize: " + line);
        }
        write(json.writeValueAsBytes(Map.of("jsonrpc", "2.0", "method", "notifications/initialized")));
    }

    /** The server process. */
    ProcessHandle process() {
        return process.toHandle();
    }

    /** Calls tool {@code name}; the future completes on the reader thread with the call's result. */
    CompletableFuture<JsonNode> callTool(String name, Object arguments) {
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        try {
            synchronized (out) {
                long id = ++lastId;
                pending.put(id, reply);
                write(request(id, "tools/call", Map.of("name", name, "arguments", arguments)));
            }
        } catch (IOException e) {
            failAll(e);
        }
        return reply;
    }

    private byte[] request(long id, String method, Object params) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("jsonrpc", "2.0");
        request.put("id", id);
        request.put("method", method);
        request.put("params", params);
        return json.writeValueAsBytes(request);
    }

    private void write(byte[] frame) throws IOException {
        synchronized (out) {
            out.write(frame);
            out.write('\n');
            out.flush();
        }
    }

    /** Only on {@link #reader}. */
    private void readLoop() {
        try {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode reply = json.readTree(line);
                JsonNode id = reply.get("id");
                // Requests and notifications of the server have a method; this client declared no
                // capability that would make the server send any, so they are skipped.
                if (id == null || reply.has("method")) {
                    continue;
                }
                CompletableFuture<JsonNode> f = pending.remove(id.asLong());
                if (f == null) {
                    continue;
                }
                JsonNode result = reply.get("result");
                if (result != null) {
                    f.complete(result);
                } else {
                    f.completeExceptionally(new IllegalStateException("error reply: " + line));
                }
            }
            failAll(new IOException("server " + process.pid() + " closed stdout"));
        } catch (IOException | RuntimeException e) {
            failAll(e);
        }
    }

    private void failAll(Exception e) {
        pending.values().forEach(f -> f.completeExceptionally(e));
        pending.clear();
    }

    /** Closes the server's stdin, which ends it; kills it when it has not ended within 5 s. */
    @Override
    public void close() {
        try {
            try {
                synchronized (out) {
                    out.close();
                }
            } catch (IOException e) {
                // Already gone: waiting for it below is all that is left.
            }
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            if (reader.isAlive()) {
                reader.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        failAll(new IOException("client closed"));
    }
}
