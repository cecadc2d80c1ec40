package dev.processio.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP sidecar that teams write instead of processio: {@code node http-sidecar.mjs echo.mjs} (a
 * {@code node:http} server with keep-alive on 127.0.0.1, the port it prints, {@code node:cluster} for
 * more than one worker), called with {@link HttpClient} over HTTP/1.1 with its pooled keep-alive
 * connections: {@code POST /<method>}, the params as a JSON body, the result as a JSON body, Jackson
 * on the Java side as processio has.
 *
 * <p>Thread-safe: {@link #call} may be called from many threads (one connection per concurrent
 * caller). {@link #close} ends the sidecar's stdin, which ends its servers, and waits for its
 * processes; the client's threads ({@code bench-http-N}) end with it. Java 17's {@code HttpClient}
 * has no {@code close()}: its selector thread ends by itself once the client is unreachable.
 */
final class HttpSidecar implements AutoCloseable {

    static final String RESOURCE = "/dev/processio/bench/http-sidecar.mjs";
    private static final String THREAD = "bench-http-";

    private final Process process;
    private final List<ProcessHandle> workers;
    private final ExecutorService executor;
    private final HttpClient client;
    private final String base;
    private final JsonMapper json;

    private HttpSidecar(Process process, int port, JsonMapper json) {
        this.process = process;
        this.workers = process.descendants().toList();
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, THREAD + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.base = "http://127.0.0.1:" + port + "/";
        this.json = json;
    }

    /**
     * Starts {@code node [nodeOptions] http-sidecar.mjs module workers} from {@code dir} (which holds
     * the script) and waits for the port it prints.
     */
    static HttpSidecar start(String node, Path dir, Path module, int workers, List<String> nodeOptions,
            JsonMapper json) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(node);
        command.addAll(nodeOptions);
        command.add(dir.resolve("http-sidecar.mjs").toString());
        command.add(module.toString());
        command.add(Integer.toString(workers));
        Path stderr = Files.createTempFile(dir, "http-sidecar", ".log");
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        try {
            // Not closed: closing the reader would close the sidecar's stdout, which it may still write to.
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
            String line = r.readLine();
            if (line == null || !line.matches("\\d+")) {
                throw new IOException("http-sidecar.mjs printed " + line + " instead of its port; stderr: "
                        + Files.readString(stderr).strip());
            }
            return new HttpSidecar(p, Integer.parseInt(line), json);
        } catch (IOException | RuntimeException e) {
            stop(p, List.of());
            throw e;
        }
    }

    /** {@code POST /method} with {@code params}; the result as {@code type}. */
    <T> T call(String method, Object params, Class<T> type) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + method))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(params)))
                .build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + ": " + response.body());
        }
        return json.readValue(response.body(), type);
    }

    /** The sidecar's process: the cluster's primary when it has more than one worker. */
    Process process() {
        return process;
    }

    @Override
    public void close() {
        try {
            stop(process, workers);
        } finally {
            executor.shutdownNow();
        }
    }

    /** Ends the sidecar's stdin and waits; past 5 s, terminates it and its workers by pid. */
    private static void stop(Process p, List<ProcessHandle> workers) {
        try {
            p.getOutputStream().close();
        } catch (IOException e) {
            // It has gone already.
        }
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            for (ProcessHandle w : workers) {
                if (!w.onExit().thenApply(h -> true).completeOnTimeout(false, 5, TimeUnit.SECONDS).join()) {
                    w.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            workers.forEach(ProcessHandle::destroyForcibly);
        }
    }
}
