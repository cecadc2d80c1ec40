package dev.processio.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small HTTP client for the demo's API and Actuator endpoints, over the real server port. */
final class DemoClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    DemoClient(int port) {
        this.base = "http://localhost:" + port;
    }

    record Reply(int status, String contentType, JsonNode body) {
    }

    Reply render(String markdown) {
        return post("/api/render", JSON.writeValueAsString(Map.of("markdown", markdown)));
    }

    CompletableFuture<Reply> renderAsync(String markdown) {
        return http.sendAsync(request("/api/render", JSON.writeValueAsString(Map.of("markdown", markdown))),
                HttpResponse.BodyHandlers.ofString()).thenApply(DemoClient::reply);
    }

    Reply post(String path, String json) {
        return send(request(path, json));
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    /** The body of a {@code GET} as text, such as {@code /actuator/prometheus}; fails unless it is 200. */
    String text(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + ": " + response.statusCode() + " " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The default pool, the render pool, as {@code /actuator/processio} shows it. */
    JsonNode pool() {
        return pool("default");
    }

    /** A pool as {@code /actuator/processio} shows it. */
    JsonNode pool(String name) {
        return get("/actuator/processio").body().get("pools").get(name);
    }

    List<JsonNode> workers() {
        return pool().get("workers").valueStream().toList();
    }

    /** The render pool's workers' pids. */
    List<Long> pids() {
        return workers().stream().map(w -> w.get("pid").asLong()).sorted().toList();
    }

    /** Render pool calls that ended cancelled, from the {@code processio.calls} timer; 0 before the first. */
    long cancelledCalls() {
        Reply metric = get("/actuator/metrics/processio.calls?tag=pool:default&tag=outcome:cancelled");
        if (metric.status() == 404) {
            return 0;
        }
        return metric.body().get("measurements").valueStream()
                .filter(m -> m.get("statistic").asString().equals("COUNT"))
                .mapToLong(m -> m.get("value").asLong()).sum();
    }

    /** A server-sent event; {@code data} is read as JSON. */
    record Event(String name, JsonNode data) {
    }

    /** Opens {@code path} as an event stream. */
    EventStream events(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Accept", "text/event-stream").GET().build();
        try {
            HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            return new EventStream(response);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An open event stream, read one event at a time; closing it drops the connection. */
    static final class EventStream implements AutoCloseable {

        private final HttpResponse<java.io.InputStream> response;
        private final BufferedReader reader;

        EventStream(HttpResponse<java.io.InputStream> response) {
            this.response = response;
            this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        int status() {
            return response.statusCode();
        }

        String contentType() {
            return response.headers().firstValue("Content-Type").orElse("");
        }

        /** The next event, or {@code null} once the server has ended the stream. */
        Event next() {
            String name = "message";
            StringBuilder data = null;
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    if (line.isEmpty()) {
                        if (data != null) {
                            return new Event(name, JSON.readTree(data.toString()));
                        }
                    } else if (line.startsWith("event:")) {
                        name = line.substring("event:".length()).strip();
                    } else if (line.startsWith("data:")) {
                        data = (data == null ? new StringBuilder() : data.append('\n'))
                                .append(line.substring("data:".length()).strip());
                    }
                }
                return null;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private HttpRequest request(String path, String json) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
    }

    private Reply send(HttpRequest request) {
        try {
            return reply(http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Reply reply(HttpResponse<String> response) {
        String body = response.body();
        JsonNode json;
        try {
            json = body == null || body.isEmpty() ? JSON.nullNode() : JSON.readTree(body);
        } catch (tools.jackson.core.JacksonException notJson) {
            json = JSON.getNodeFactory().textNode(body);
        }
        return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), json);
    }
}
