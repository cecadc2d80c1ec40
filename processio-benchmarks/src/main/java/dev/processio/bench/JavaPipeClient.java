package dev.processio.bench;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The baseline: a minimal hand-written JSON-RPC client, what a user would write without processio. It
 * drives either {@code node processio-worker.mjs echo.mjs}, which starts with a {@code processio/ready}
 * line that the client waits for, or the bare echo loop {@code node bare-echo.mjs}, which sends nothing
 * before its first reply (so the client waits for nothing). Per worker process: one writer thread that takes frames
 * from an unbounded queue and flushes when the queue is empty, one reader thread that parses each
 * reply line with Jackson and completes the caller's future by id. Calls go round-robin over the
 * workers. No timeouts, no backpressure, no restarts, no metrics. Thread-safe.
 */
final class JavaPipeClient implements AutoCloseable {

    private static final byte[] POISON = new byte[0];

    private final JsonMapper json;
    private final List<Conn> conns = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();

    private JavaPipeClient(JsonMapper json) {
        this.json = json;
    }

    /**
     * Starts {@code workers} processes; with {@code awaitReady}, returns once each has sent
     * {@code processio/ready}, else at once (requests wait in the pipe until the worker reads them).
     */
    static JavaPipeClient start(List<String> command, int workers, boolean awaitReady, JsonMapper json)
            throws IOException {
        JavaPipeClient client = new JavaPipeClient(json);
        try {
            for (int i = 0; i < workers; i++) {
                Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                client.conns.add(new Conn(client, p, i));
            }
            if (awaitReady) {
                for (Conn c : client.conns) {
                    c.awaitReady();
                }
            }
            for (Conn c : client.conns) {
                c.startThreads();
            }
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    CompletableFuture<JsonNode> callAsync(String method, Object params) {
        long id = ids.incrementAndGet();
        Conn conn = conns.get((int) (id % conns.size()));
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        conn.pending.put(id, reply);
        byte[] head = ("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":")
                .getBytes(StandardCharsets.UTF_8);
        byte[] body = json.writeValueAsBytes(params);
        byte[] frame = new byte[head.length + body.length + 2];
        System.arraycopy(head, 0, frame, 0, head.length);
        System.arraycopy(body, 0, frame, head.length, body.length);
        frame[frame.length - 2] = '}';
        frame[frame.length - 1] = '\n';
        conn.queue.add(frame);
        return reply;
    }

    <T> T call(String method, Object params, Class<T> type) {
        JsonNode result = callAsync(method, params).join();
        return json.treeToValue(result, type);
    }

    @Override
    public void close() {
        for (Conn c : conns) {
            c.queue.add(POISON);
        }
        for (Conn c : conns) {
            c.stop();
        }
    }

    /** One worker process and its two threads. */
    private static final class Conn {
        final JavaPipeClient owner;
        final Process process;
        final int index;
        final OutputStream out;
        final BufferedReader in;
        final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        Thread writer;
        Thread reader;

        Conn(JavaPipeClient owner, Process process, int index) {
            this.owner = owner;
            this.process = process;
            this.index = index;
            this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
            this.in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8), 1 << 16);
        }

        void awaitReady() throws IOException {
            String line = in.readLine();
            if (line == null || !line.contains("\"processio/ready\"")) {
                throw new IOException("worker " + process.pid() + " sent no ready line: " + line);
            }
        }

        void startThreads() {
            writer = new Thread(this::writeLoop, "bench-javaclient-w" + index + "-stdin");
            reader = new Thread(this::readLoop, "bench-javaclient-w" + index + "-stdout");
            writer.setDaemon(true);
            reader.setDaemon(true);
            writer.start();
            reader.start();
        }

        private void writeLoop() {
            try {
                while (true) {
                    byte[] frame = queue.take();
                    while (frame != null) {
                        if (frame == POISON) {
                            out.close();
                            return;
                        }
                        out.write(frame);
                        frame = queue.poll();
                    }
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                failAll(e);
            }
        }

        private void readLoop() {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode reply = owner.json.readTree(line);
                    CompletableFuture<JsonNode> f = pending.remove(reply.get("id").asLong());
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
                failAll(new IOException("worker " + process.pid() + " closed stdout"));
            } catch (IOException | RuntimeException e) {
                failAll(e);
            }
        }

        private void failAll(Exception e) {
            pending.values().forEach(f -> f.completeExceptionally(e));
            pending.clear();
        }

        void stop() {
            try {
                if (writer == null) {
                    process.getOutputStream().close();
                } else {
                    writer.join(5000);
                }
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
                if (reader != null) {
                    reader.join(5000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            } catch (IOException e) {
                process.destroyForcibly();
            }
        }
    }
}
